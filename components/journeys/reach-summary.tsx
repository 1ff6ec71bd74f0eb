"use client";

import { UsersRound } from "lucide-react";
import { formatCount, relativeTime } from "@/lib/format";
import { errorMessage } from "../trpc/client";
import { Button, Spinner } from "../ui/button";
import type { JourneyReachData, JourneyReachState } from "./use-reach";

/** The entry count is known exactly: counted, or an estimate with no room either side. */
function known(entry: JourneyReachData["entry"]): boolean {
  return entry.exact !== undefined || (entry.low !== undefined && entry.low === entry.high);
}

/** "≈ 12,300 people match “Germany” now", "1,204 people performed tariff_calculator_opened in the last 7 days · ≈ 172 a day". */
export function reachSentence(entry: JourneyReachData["entry"]): { number: string; rest: string } | null {
  if (entry.estimate === null) return null;
  const exact = known(entry);
  const count = entry.exact ?? entry.estimate;
  const number = `${exact ? "" : "≈ "}${formatCount(count)} ${count === 1 ? "person" : "people"}`;
  switch (entry.kind) {
    case "event": {
      const perDay = entry.perDay ?? count / 7;
      return { number, rest: ` performed ${entry.label} in the last 7 days · ≈ ${formatCount(Math.round(perDay))} a day` };
    }
    case "segment_exited":
      return { number, rest: ` ${count === 1 ? "is" : "are"} in “${entry.label}” now and could leave it` };
    case "schedule":
      return { number, rest: ` in “${entry.label}” would be enrolled if it ran now` };
    default:
      return { number, rest: ` ${count === 1 ? "matches" : "match"} “${entry.label}” now` };
  }
}

/**
 * The reach preview's card body: who the entry takes in now (the estimate, then the exact
 * count on request), with a note on where the numbers on the connections come from.
 * `reach` is what `useJourneyReach` returns (the editor also draws its edge numbers).
 */
export function ReachSummary({ reach }: { reach: JourneyReachState }) {
  const { data, error, updating } = reach;
  if (!data) {
    if (error) {
      return (
        <div role="alert" className="space-y-2 text-sm text-red-700">
          <p>Couldn’t count who enters: {errorMessage(error)}</p>
          <Button size="sm" variant="secondary" onClick={reach.retry}>
            Try again
          </Button>
        </div>
      );
    }
    return (
      <p className="flex items-center gap-2 text-sm text-slate-500" role="status">
        <Spinner className="size-3.5" /> Counting who enters…
      </p>
    );
  }
  const { entry } = data;
  const sentence = reachSentence(entry);
  return (
    <div className="space-y-2" data-testid="reach-summary" aria-busy={updating || undefined}>
      <div className="flex items-start gap-2">
        <UsersRound className="mt-0.5 size-4 shrink-0 text-slate-400" aria-hidden="true" />
        <p className="text-sm text-slate-700" role="status" aria-live="polite">
          {sentence ? (
            <>
              <span className="font-semibold text-slate-900" data-testid="reach-entry">
                {sentence.number}
              </span>
              {sentence.rest}
              {entry.asOf && (
                <span className="text-slate-500" title="The segment's members as of its last refresh; they are kept current as events arrive.">
                  {" "}
                  · members as of {relativeTime(entry.asOf)}
                </span>
              )}
              {!known(entry) && entry.low !== undefined && entry.high !== undefined && (
                <span className="text-slate-500">
                  {" "}
                  (between {formatCount(entry.low)} and {formatCount(entry.high)})
                </span>
              )}
            </>
          ) : (
            <span className="text-slate-500">{entry.label}</span>
          )}
          {updating && <Spinner className="ml-2 inline size-3.5 text-slate-400" />}
        </p>
      </div>
      {sentence && !known(entry) && (
        <Button size="sm" variant="secondary" onClick={reach.countExactly} loading={reach.exactPending} disabled={updating}>
          {reach.exactPending ? "Counting…" : "Count exactly"}
        </Button>
      )}
      {sentence && (
        <p className="text-xs text-slate-500">
          {data.sampled
            ? "The numbers on the connections divide it by a sample of people: each branch’s cases evaluated on them now, splits by their percentages."
            : "The numbers on the connections divide it by each branch’s cases, evaluated on everyone now, and splits by their percentages."}{" "}
          Who performs an event a wait is waiting for cannot be known in advance: those connections have no number.
        </p>
      )}
      {error && data && (
        <p role="alert" className="text-xs text-red-700">
          {errorMessage(error)}
        </p>
      )}
    </div>
  );
}
