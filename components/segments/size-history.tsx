"use client";

import { useQuery } from "@tanstack/react-query";
import { formatCount, formatDate } from "@/lib/format";
import { LIVE, useTRPC } from "../trpc/client";
import { Card } from "../ui/card";

/** Daily size over the last 30 days with entries (up) and exits (down), from the engine's history. */
export function SizeHistory({ segmentId }: { segmentId: string }) {
  const trpc = useTRPC();
  // Entries and exits arrive as events do (the change feed): an open page stays current.
  const history = useQuery({ ...trpc.segments.history.queryOptions({ id: segmentId, days: 30 }), ...LIVE });
  const days = history.data ?? [];
  const maxSize = Math.max(1, ...days.map((d) => d.size));
  const maxFlow = Math.max(1, ...days.map((d) => Math.max(d.entered, d.exited)));
  const last = days.at(-1);
  const w = 280;
  const h = 64;
  const x = (i: number) => (days.length <= 1 ? w / 2 : (i / (days.length - 1)) * w);
  const line = days.map((d, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${(h - 4 - (d.size / maxSize) * (h - 8)).toFixed(1)}`).join(" ");
  return (
    <Card>
      <div className="flex items-baseline justify-between border-b border-slate-100 px-5 py-3">
        <h2 className="text-sm font-semibold text-slate-900">Size, last 30 days</h2>
        {last && <span className="text-xs text-slate-500">+{formatCount(last.entered)} / −{formatCount(last.exited)} today</span>}
      </div>
      <div className="px-5 py-3">
        {history.isPending ? (
          <div className="h-24 animate-pulse rounded bg-slate-100" />
        ) : days.length === 0 ? (
          <p className="text-sm text-slate-500">The history starts with the first refresh.</p>
        ) : days.length === 1 ? (
          // One day is a point, not a trend: say it in words until there is a line to draw.
          <p className="text-sm text-slate-600" data-testid="size-history">
            <span className="text-2xl font-semibold text-slate-900 tabular-nums">{formatCount(last!.size)}</span> members since {formatDate(new Date(last!.day))}
            <span className="mt-1 block text-xs text-slate-500">The chart fills in day by day.</span>
          </p>
        ) : (
          <figure data-testid="size-history">
            <svg viewBox={`0 0 ${w} ${h + 28}`} className="w-full" role="img" aria-label={`Size from ${formatCount(days[0]!.size)} to ${formatCount(last!.size)} over ${days.length} days`}>
              <path d={line} fill="none" stroke="currentColor" strokeWidth="2" className="text-brand-500" strokeLinejoin="round" />
              {days.map((d, i) => (
                <g key={String(d.day)}>
                  <title>{`${formatDate(new Date(d.day))}: ${formatCount(d.size)} members, +${formatCount(d.entered)} entered, −${formatCount(d.exited)} exited`}</title>
                  <rect x={x(i) - 2} y={h + 14 - (d.entered / maxFlow) * 12} width="4" height={(d.entered / maxFlow) * 12} className="fill-emerald-400" />
                  <rect x={x(i) - 2} y={h + 14} width="4" height={(d.exited / maxFlow) * 12} className="fill-red-300" />
                </g>
              ))}
            </svg>
            <figcaption className="mt-1 flex justify-between text-[11px] text-slate-500">
              <span>{formatDate(new Date(days[0]!.day))}</span>
              <span>
                <span className="text-emerald-600">■</span> entered <span className="text-red-400">■</span> exited
              </span>
            </figcaption>
          </figure>
        )}
      </div>
    </Card>
  );
}
