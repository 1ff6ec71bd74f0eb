import { useId } from "react";
import { cn } from "../ui/cn";
import { formatCompact, formatCount, formatDayLong, formatDayShort } from "@/lib/format";
import { countTicks, labelledIndexes, pluralEvents } from "./format";

export interface DailyChartDay {
  date: string;
  count: number;
}

const CHART_HEIGHT = "h-52";

/**
 * A bar per day, no chart library. The bars are drawn for the eye (with a hover title per
 * day); screen readers get the caption and a table of the same numbers.
 */
export function DailyChart({ name, days, timeZone }: { name: string; days: DailyChartDay[]; timeZone: string }) {
  const captionId = useId();
  const max = Math.max(0, ...days.map((d) => d.count));
  const ticks = countTicks(max);
  const top = ticks.at(-1) ?? 1;
  const labelled = new Set(labelledIndexes(days.length));
  const first = days[0];
  const last = days.at(-1);
  const busiest = days.reduce<DailyChartDay | null>((best, d) => (d.count > 0 && (!best || d.count > best.count) ? d : best), null);
  const total = days.reduce((sum, d) => sum + d.count, 0);

  return (
    <figure aria-labelledby={captionId} data-testid="daily-chart">
      <figcaption id={captionId} className="sr-only">
        {`${name} per day`}
        {first && last && `, ${formatDayLong(first.date)} to ${formatDayLong(last.date)} (${timeZone}): ${pluralEvents(total)}`}
        {busiest ? `, busiest on ${formatDayLong(busiest.date)} with ${pluralEvents(busiest.count)}.` : "."}
      </figcaption>

      <div aria-hidden="true" className="select-none">
        <p className="mb-3 text-[11px] font-medium text-slate-500">Events per day</p>
        <div className="flex gap-3">
          {/* y axis: title above, tick labels beside the grid lines */}
          <div className="flex w-10 shrink-0 flex-col">
            <div className={cn("relative", CHART_HEIGHT)}>
              {ticks.map((tick) => (
                <span
                  key={tick}
                  className="absolute right-0 translate-y-1/2 text-[11px] leading-none text-slate-400 tabular-nums"
                  style={{ bottom: `${(tick / top) * 100}%` }}
                >
                  {formatCompact(tick)}
                </span>
              ))}
            </div>
          </div>
          <div className="min-w-0 flex-1">
            <div className={cn("relative border-b border-slate-300", CHART_HEIGHT)}>
              {ticks.slice(1).map((tick) => (
                <div key={tick} className="absolute inset-x-0 border-t border-dashed border-slate-200" style={{ bottom: `${(tick / top) * 100}%` }} />
              ))}
              <div className="absolute inset-0 flex items-end gap-[3px]">
                {days.map((day, i) => {
                  const partial = i === 0 ? " (partly before the 30-day window)" : i === days.length - 1 ? " (today so far)" : "";
                  return (
                    <div
                      key={day.date}
                      title={`${formatDayLong(day.date)}: ${pluralEvents(day.count)}${partial}`}
                      data-date={day.date}
                      data-count={day.count}
                      className="group flex h-full min-w-0 flex-1 items-end rounded-t-sm hover:bg-slate-100/70"
                    >
                      <div
                        className={cn(
                          "w-full rounded-t-sm transition-colors",
                          partial ? "bg-brand-200 group-hover:bg-brand-500" : "bg-brand-500 group-hover:bg-brand-700",
                        )}
                        style={{ height: day.count > 0 ? `max(2px, ${(day.count / top) * 100}%)` : 0 }}
                      />
                    </div>
                  );
                })}
              </div>
            </div>
            {/* x axis: a date under every few bars, always under today */}
            <div className="relative mt-1.5 h-4">
              {days.map((day, i) =>
                labelled.has(i) ? (
                  <span
                    key={day.date}
                    className={cn(
                      "absolute top-0 text-[11px] whitespace-nowrap text-slate-500",
                      i === days.length - 1 ? "right-0" : "-translate-x-1/2",
                    )}
                    style={i === days.length - 1 ? undefined : { left: `${((i + 0.5) / days.length) * 100}%` }}
                  >
                    {formatDayShort(day.date)}
                  </span>
                ) : null,
              )}
            </div>
          </div>
        </div>
        <p className="mt-1 pl-13 text-center text-[11px] font-medium text-slate-500">Day ({timeZone})</p>
      </div>

      <table className="sr-only">
        <caption>{`${name}: events per day in ${timeZone}`}</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Events</th>
          </tr>
        </thead>
        <tbody>
          {days.map((day) => (
            <tr key={day.date}>
              <th scope="row">{formatDayLong(day.date)}</th>
              <td>{formatCount(day.count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** Placeholder bars while the counts load. */
export function DailyChartSkeleton() {
  return (
    <div aria-hidden="true">
      <div className="mb-3 h-4 w-20 animate-pulse rounded bg-slate-100" />
      <div className="flex gap-3">
        <div className="w-10 shrink-0" />
        <div className="flex-1">
          <div className={cn("flex items-end gap-[3px] border-b border-slate-200", CHART_HEIGHT)}>
            {Array.from({ length: 31 }, (_, i) => (
              <div key={i} className="flex-1 animate-pulse rounded-t-sm bg-slate-100" style={{ height: `${20 + ((i * 37) % 60)}%` }} />
            ))}
          </div>
          <div className="mt-1.5 h-4" />
        </div>
      </div>
      <div className="mt-1 h-4" />
    </div>
  );
}
