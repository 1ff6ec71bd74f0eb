import type { EventProperty, JsonType } from "@/server/events/explorer";
import { Badge } from "../ui/badge";
import { formatCount, formatPercent } from "@/lib/format";

const TYPE_TONE: Record<JsonType, "brand" | "green" | "amber" | "slate" | "red"> = {
  string: "brand",
  number: "green",
  boolean: "amber",
  object: "slate",
  array: "slate",
  null: "slate",
};

/** Strings are quoted where the same key also holds numbers or booleans, so "49" and 49 differ. */
function showValue(value: string | number | boolean, quoteStrings: boolean): string {
  if (typeof value === "string") return quoteStrings || value === "" ? JSON.stringify(value) : value;
  return String(value);
}

/** Per property key: the JSON types seen and the most common values. */
export function PropertyTable({ properties, sampleSize }: { properties: EventProperty[]; sampleSize: number }) {
  return (
    <table className="w-full text-left text-sm" data-testid="properties-table">
      <thead className="border-b border-slate-100 text-xs text-slate-500">
        <tr>
          <th scope="col" className="w-52 px-5 py-2.5 font-medium">Property</th>
          <th scope="col" className="w-60 px-5 py-2.5 font-medium">Type</th>
          <th scope="col" className="w-24 px-5 py-2.5 text-right font-medium">Present</th>
          <th scope="col" className="px-5 py-2.5 font-medium">Top values</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {properties.map((p) => {
          const shown = p.types.length > 1;
          // null next to one other type is an optional value; two real types means senders disagree.
          const mixed = p.types.filter((t) => t.type !== "null").length > 1;
          const more = p.distinctValues - p.topValues.length;
          return (
            <tr key={p.key} className="align-top hover:bg-slate-50/60">
              <td className="max-w-52 px-5 py-3">
                <span className="block truncate font-mono text-xs leading-5 text-slate-900" title={p.key}>{p.key}</span>
              </td>
              <td className="px-5 py-3">
                <div className="flex flex-wrap gap-1.5">
                  {p.types.map((t) => (
                    <Badge
                      key={t.type}
                      tone={TYPE_TONE[t.type]}
                      className="font-mono"
                    >
                      <span title={`${formatCount(t.count)} of ${formatCount(p.count)} values are ${t.type === "null" ? "null" : `of type ${t.type}`}`}>
                        {t.type}
                        {shown && <span className="ml-1 font-sans opacity-70">{formatPercent(t.count, p.count)}</span>}
                      </span>
                    </Badge>
                  ))}
                </div>
                {mixed && <p className="mt-1 text-xs text-amber-700">Mixed types</p>}
              </td>
              <td className="px-5 py-3 text-right whitespace-nowrap text-slate-600 tabular-nums" title={`${formatCount(p.count)} of ${formatCount(sampleSize)} events`}>
                {formatPercent(p.count, sampleSize)}
              </td>
              <td className="px-5 py-3">
                {p.topValues.length === 0 ? (
                  <span className="text-xs text-slate-400">
                    {p.types.every((t) => t.type === "object" || t.type === "array" || t.type === "null") ? "No scalar values" : "Long text, not listed"}
                  </span>
                ) : (
                  <ul className="flex flex-wrap gap-1.5" aria-label={`Top values of ${p.key}`}>
                    {p.topValues.map((v) => (
                      <li
                        key={`${typeof v.value}:${String(v.value)}`}
                        className="inline-flex max-w-64 items-center gap-1.5 rounded-md bg-slate-50 px-2 py-0.5 text-xs ring-1 ring-slate-200 ring-inset"
                        title={`${showValue(v.value, mixed)}: ${formatCount(v.count)} ${v.count === 1 ? "time" : "times"}`}
                      >
                        <span className={typeof v.value === "string" ? "truncate text-slate-800" : "truncate font-mono text-slate-800"}>
                          {showValue(v.value, mixed)}
                        </span>
                        <span className="shrink-0 text-slate-400 tabular-nums">{formatCount(v.count)}</span>
                      </li>
                    ))}
                    {more > 0 && <li className="px-1 py-0.5 text-xs text-slate-400">+{formatCount(more)} more</li>}
                  </ul>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function PropertyTableSkeleton() {
  return (
    <div className="divide-y divide-slate-100" aria-hidden="true">
      {Array.from({ length: 4 }, (_, i) => (
        <div key={i} className="flex items-center gap-6 px-5 py-3.5">
          <div className="h-4 w-32 animate-pulse rounded bg-slate-100" />
          <div className="h-4 w-16 animate-pulse rounded-full bg-slate-100" />
          <div className="h-4 flex-1 animate-pulse rounded bg-slate-100" />
        </div>
      ))}
    </div>
  );
}
