"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { checkDraft } from "@/lib/segments/editing";
import type { EventCondition, SegmentDefinition } from "@/lib/segments/schema";
import { ABORTABLE, useTRPC } from "../trpc/client";
import { Spinner } from "../ui/button";
import { cn } from "../ui/cn";
import { useDebounced } from "../ui/use-debounced";
import { formatCompact, formatCount } from "@/lib/format";

const MAX = 10;

/**
 * How many people performed the event 0, 1, 2, … 10+ times in the condition's window
 * (with its property filters), the current cut marked: pick cut-offs at real inflection
 * points. Clicking a bar moves the cut there.
 */
export function ThresholdHelper({ node, onCut }: { node: EventCondition; onCut: (count: EventCondition["count"]) => void }) {
  const trpc = useTRPC();
  // The condition on its own; its count does not change the histogram, so leave it out of the key.
  const probe = useMemo<SegmentDefinition | null>(() => {
    const definition: SegmentDefinition = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ ...node, id: undefined, count: { op: "gte", value: 1 } }] } };
    const check = checkDraft(definition);
    return check.ok ? check.definition : null;
  }, [node]);
  const key = useDebounced(probe ? JSON.stringify(probe) : null, 300);
  const input = { definition: key ? JSON.parse(key) : null, max: MAX };
  const estimate = useQuery({
    ...trpc.segments.histogram.queryOptions(input, ABORTABLE),
    enabled: key !== null,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
  });
  // Big workspaces answer from a sample first, which misses the rare high counts; the exact
  // distribution follows, so the bars agree with the condition's own count.
  const exact = useQuery({
    ...trpc.segments.histogram.queryOptions({ ...input, exact: true }, ABORTABLE),
    enabled: key !== null && estimate.data?.estimated === true && !estimate.isPlaceholderData,
    staleTime: 60_000,
    retry: false,
  });
  const histogram = exact.data ? exact : estimate;

  const { op, value } = node.count;
  const inCut = (k: number) => (op === "gte" ? k >= value : op === "lte" ? k <= value : k === value && !(k === MAX && value > MAX));
  const data = histogram.data;
  // A square-root scale over all bars, "0 times" included: 4,927 and 72 both show, and differ.
  const top = data ? Math.sqrt(Math.max(1, ...data.profiles)) : 1;
  const matched = data ? data.profiles.reduce((sum, n, k) => (inCut(k) ? sum + n : sum), 0) : 0;

  return (
    <figure className="rounded-lg border border-slate-200 bg-slate-50/60 px-3 pt-2 pb-3" data-testid="threshold-helper" aria-label={`How often people performed ${node.event || "the event"}`}>
      <figcaption className="flex items-center justify-between gap-2 text-xs text-slate-600">
        <span>
          People by number of <span className="font-medium">{node.event || "…"}</span> events{" "}
          {node.window.kind === "last" ? `in the last ${node.window.amount} ${node.window.unit}` : node.window.kind === "ever" ? "ever" : "in the window"}
          {data?.estimated && <span className="ml-1 text-amber-700">(estimated)</span>}
        </span>
        {(estimate.isFetching || exact.isFetching) && <Spinner className="size-3.5" />}
      </figcaption>
      {!probe ? (
        <p className="mt-2 text-xs text-slate-500">Complete the event name and window to see the distribution.</p>
      ) : !data ? (
        <div className="mt-2 h-24 animate-pulse rounded bg-slate-100" />
      ) : (
        <>
          <div className="mt-2 flex h-28 items-end gap-1" role="list" aria-label="Profiles per number of events">
            {data.profiles.map((n, k) => {
              const label = k === MAX ? `${MAX}+` : String(k);
              const selected = inCut(k);
              return (
                <button
                  key={k}
                  type="button"
                  role="listitem"
                  title={`${label} time${k === 1 ? "" : "s"}: ${formatCount(n)} people — click to cut here`}
                  aria-label={`${label} times: ${formatCount(n)} people${selected ? ", in the segment" : ""}`}
                  data-k={k}
                  data-count={n}
                  data-selected={selected || undefined}
                  // Bar 0 means "did not perform"; otherwise keep the comparison ("did not perform" becomes "at least").
                  onClick={() => onCut({ op: k === 0 ? "eq" : op === "eq" && value === 0 ? "gte" : op, value: k })}
                  className="group relative flex h-full min-w-0 flex-1 flex-col justify-end focus:outline-none"
                >
                  <span className={cn("mb-0.5 block truncate text-center text-[9px] leading-none tabular-nums", selected ? "font-semibold text-brand-700" : "text-slate-500")} aria-hidden="true">
                    {formatCompact(n)}
                  </span>
                  <span
                    className={cn(
                      "block w-full rounded-t-sm transition-colors group-hover:opacity-80 group-focus-visible:ring-2 group-focus-visible:ring-brand-500",
                      selected ? "bg-brand-500" : "bg-slate-300",
                    )}
                    style={{ height: `${n === 0 ? 1 : Math.max(3, (85 * Math.sqrt(n)) / top)}%` }}
                  />
                </button>
              );
            })}
          </div>
          <div className="mt-1 flex gap-1 text-center text-[10px] text-slate-500 tabular-nums" aria-hidden="true">
            {data.profiles.map((_, k) => (
              <span key={k} className="flex-1">
                {k === MAX ? `${MAX}+` : k}
              </span>
            ))}
          </div>
          <p className="mt-1.5 text-xs text-slate-600">
            Cut at <span className="font-medium">{op === "gte" ? `≥ ${value}` : op === "lte" ? `≤ ${value}` : `= ${value}`}</span>: {formatCount(matched)} of {formatCount(data.total)} people
            {data.estimated ? (exact.isFetching ? " (estimated; counting exactly…)" : " (estimated)") : ""}.
          </p>
        </>
      )}
    </figure>
  );
}
