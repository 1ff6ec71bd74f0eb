"use client";

import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { RefreshCw, Timer, UserRound } from "lucide-react";
import Link from "next/link";
import { useEffect, useState } from "react";
import { definitionKey } from "@/lib/segments/editing";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { ABORTABLE, LIVE, useTRPC } from "../trpc/client";
import { Button, Spinner } from "../ui/button";
import { Card } from "../ui/card";
import { formatCount, formatPercent, formatTime } from "@/lib/format";
import { ExportMembers } from "./export-members";
import { personLabel } from "@/lib/profiles/display";


/**
 * The builder's live preview: the estimate as soon as it is there (with its interval and
 * the word "estimated"), then the exact count; share of all profiles; a slow exact count
 * shows its time and can be cancelled. `definition` is the debounced, valid draft (or null
 * while the draft has errors). Queries are keyed by the definition, so an older answer is
 * never shown for a newer draft.
 */
export function usePreview(definition: SegmentDefinition | null, previewKey: string) {
  const trpc = useTRPC();
  const estimate = useQuery({
    ...trpc.segments.estimate.queryOptions({ definition: definition!, key: previewKey }, ABORTABLE),
    enabled: definition !== null,
    placeholderData: keepPreviousData,
    staleTime: 15_000,
    // The same definition counts differently as events arrive: keep an open builder current.
    ...LIVE,
  });
  const needsExact = definition !== null && estimate.data !== undefined && !estimate.isPlaceholderData && estimate.data.exact === undefined;
  const exact = useQuery({
    ...trpc.segments.exact.queryOptions({ definition: definition!, key: previewKey }, ABORTABLE),
    enabled: needsExact,
    staleTime: 15_000,
    retry: false,
    // Exact counts of big workspaces cost seconds: half as often as the estimate.
    refetchInterval: 30_000,
    refetchOnWindowFocus: "always",
  });
  return { estimate, exact, needsExact };
}

export function PreviewPanel({
  definition,
  preview,
  invalid,
  leftOut = 0,
  exportAs,
}: {
  definition: SegmentDefinition | null;
  preview: ReturnType<typeof usePreview>;
  /** Nothing can be counted yet (every condition is unfinished). */
  invalid: boolean;
  /** Unfinished conditions the count leaves out (they are marked in the builder). */
  leftOut?: number;
  /** The segment's name, when the viewer may export its members (marketers and admins). */
  exportAs?: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { estimate, exact, needsExact } = preview;
  const [cancelled, setCancelled] = useState<string | null>(null);
  const shownJson = definition ? JSON.stringify(definition) : "";
  // A refresh of an answer already shown runs quietly: the answer stays until the new one is in.
  const exactRunning = needsExact && exact.isFetching && exact.data === undefined;
  const elapsed = useElapsed(exactRunning);

  const e = estimate.data;
  const exactValue = e?.exact ?? (needsExact && exact.data ? exact.data.exact : undefined);
  // The moment an exact count from held sets describes (it may be a few seconds before the request).
  const exactAsOf = e?.exact === undefined && needsExact && exact.data ? exact.data.asOf : undefined;
  const stale = estimate.isPlaceholderData || invalid;
  const wasCancelled = cancelled === shownJson;

  return (
    <Card className="overflow-hidden">
      <div
        className="border-b border-slate-100 px-5 py-4"
        aria-live="polite"
        aria-busy={estimate.isFetching || exactRunning}
        // Which definition the shown estimate and exact count belong to (measured by bench/segments/builder.ts).
        data-estimate-key={definition && e && !estimate.isPlaceholderData ? definitionKey(definition) : undefined}
        data-exact-key={definition && exactValue !== undefined && !estimate.isPlaceholderData ? definitionKey(definition) : undefined}
      >
        <p className="text-xs font-medium tracking-wide text-slate-500 uppercase">Audience size</p>
        {!invalid && leftOut > 0 && (
          <p className="mt-1 text-xs font-medium text-amber-700" data-testid="left-out">
            Without the {leftOut === 1 ? "unfinished condition" : `${leftOut} unfinished conditions`} (marked)
          </p>
        )}
        {invalid ? (
          <p className="mt-2 text-sm text-slate-500">Finish a condition to see how many people match.</p>
        ) : !e ? (
          <div className="mt-2 flex items-center gap-2 text-sm text-slate-500">
            <Spinner className="size-4" /> Estimating…
          </div>
        ) : (
          <div className={stale ? "opacity-50 transition-opacity" : "transition-opacity"}>
            {exactValue !== undefined ? (
              <p className="mt-1 text-3xl font-semibold tracking-tight text-slate-900 tabular-nums" data-testid="exact-count">
                {formatCount(exactValue)}
              </p>
            ) : (
              <p className="mt-1 flex items-baseline gap-2" data-testid="estimate">
                <span className="text-3xl font-semibold tracking-tight text-slate-700 tabular-nums">≈ {formatCount(e.estimate)}</span>
                <span className="text-xs font-medium text-amber-700">estimated</span>
              </p>
            )}
            <p className="mt-1 text-sm text-slate-500">
              {exactValue !== undefined ? (
                <>
                  <span className="font-medium text-emerald-700">exact</span> · {formatPercent(exactValue, e.total)} of {formatCount(e.total)} profiles
                </>
              ) : (
                <>
                  95 % between {formatCount(e.low)} and {formatCount(e.high)} · {formatPercent(e.estimate, e.total)} of {formatCount(e.total)} profiles
                </>
              )}
            </p>
            <p className="mt-0.5 text-xs text-slate-400" data-testid="preview-moment">
              {exactValue !== undefined ? (
                <>data as of {formatTime(exactAsOf ?? e.asOf)}</>
              ) : e.behind > 0 ? (
                <span className="text-amber-700">
                  From a sample {formatCount(e.behind)} {e.behind === 1 ? "change" : "changes"} behind the data; the range allows for them.
                </span>
              ) : (
                <>
                  Sample of {formatPercent(Math.round(e.sampled * e.total), e.total)} · data as of {formatTime(e.asOf)}
                </>
              )}
            </p>
            <div className="mt-3 h-1.5 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
              <div className="h-full rounded-full bg-brand-500" style={{ width: `${Math.min(100, e.total ? (100 * (exactValue ?? e.estimate)) / e.total : 0)}%` }} />
            </div>
          </div>
        )}
        {exportAs !== undefined && definition && e && !stale && <ExportMembers definition={definition} name={exportAs} expected={exactValue ?? e.estimate} />}
        {!invalid && needsExact && (
          <div className="mt-3 flex items-center justify-between gap-2 text-xs text-slate-500">
            {exactRunning ? (
              <>
                <span className="inline-flex items-center gap-1.5" data-testid="exact-progress">
                  <Spinner className="size-3.5" /> Counting exactly… {elapsed >= 1 ? `${elapsed} s` : ""}
                </span>
                <Button
                  variant="ghost"
                  size="sm"
                  aria-label="Cancel the exact count"
                  onClick={() => {
                    setCancelled(shownJson);
                    void queryClient.cancelQueries({ queryKey: trpc.segments.exact.queryKey() });
                  }}
                >
                  Cancel
                </Button>
              </>
            ) : exact.isError && !wasCancelled ? (
              <span className="text-red-600">{exact.error.message}</span>
            ) : wasCancelled && exact.data === undefined ? (
              <>
                <span>Exact count cancelled.</span>
                <Button variant="ghost" size="sm" onClick={() => (setCancelled(null), void exact.refetch())}>
                  <Timer className="size-3.5" aria-hidden="true" /> Count exactly
                </Button>
              </>
            ) : null}
          </div>
        )}
      </div>
    </Card>
  );
}

function useElapsed(running: boolean): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    if (!running) return;
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 500);
    return () => {
      clearInterval(timer);
      setSeconds(0);
    };
  }, [running]);
  return seconds;
}

/**
 * 20 matching people, refreshable; each links to the profile page. Asked for once the
 * estimate of the same definition is in (`after`), so the two never compete for the server.
 */
export function SampleMembers({ definition, after }: { definition: SegmentDefinition | null; after: boolean }) {
  const trpc = useTRPC();
  const members = useQuery({
    ...trpc.segments.members.queryOptions({ definition: definition!, limit: 20 }, ABORTABLE),
    enabled: definition !== null && after,
    placeholderData: keepPreviousData,
    staleTime: 60_000,
    // People join and leave as events arrive: half as often as the estimate.
    refetchInterval: 30_000,
  });
  return (
    <Card>
      <div className="flex items-center justify-between border-b border-slate-100 px-5 py-3">
        <h2 className="text-sm font-semibold text-slate-900">Sample members</h2>
        <Button variant="ghost" size="sm" aria-label="Refresh sample members" disabled={!definition} loading={members.isFetching} onClick={() => void members.refetch()}>
          {!members.isFetching && <RefreshCw className="size-3.5" aria-hidden="true" />}
        </Button>
      </div>
      {!definition ? (
        <p className="px-5 py-4 text-sm text-slate-500">Members appear once the conditions are complete.</p>
      ) : members.isPending ? (
        <div className="space-y-2 px-5 py-4">
          {Array.from({ length: 4 }, (_, i) => (
            <div key={i} className="h-5 animate-pulse rounded bg-slate-100" />
          ))}
        </div>
      ) : members.data && members.data.items.length === 0 ? (
        <p className="px-5 py-4 text-sm text-slate-500">Nobody matches yet.</p>
      ) : (
        <ul className={`divide-y divide-slate-100 ${members.isPlaceholderData ? "opacity-50" : ""}`} data-testid="sample-members">
          {members.data?.items.map((m) => (
            <li key={m.id}>
              <Link href={`/profiles/${m.id}`} className="flex items-center gap-2.5 px-5 py-2 text-sm hover:bg-slate-50">
                <UserRound className="size-4 shrink-0 text-slate-400" aria-hidden="true" />
                <span className="min-w-0 flex-1">
                  <span className="block truncate font-medium text-brand-700">{personLabel(m).primary}</span>
                  <span className="block truncate text-xs text-slate-500">{personLabel(m).secondary ?? "—"}</span>
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
