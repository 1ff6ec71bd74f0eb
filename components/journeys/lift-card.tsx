"use client";

import { useQuery } from "@tanstack/react-query";
import { Scale } from "lucide-react";
import { formatCount, formatPercent } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Card, CardBody, CardHeader } from "../ui/card";
import { QueryError } from "../ui/query-error";

type Lift = ReturnType<typeof useTRPC>["journeys"]["lift"]["~types"]["output"];

/** Percentage points, one decimal, with a real minus sign: "+8.3 pts", "−1.2 pts". */
function points(n: number, sign = true): string {
  const rounded = Math.round(n * 10) / 10;
  const text = formatCount(Math.abs(rounded));
  return `${rounded < 0 ? "−" : sign && rounded > 0 ? "+" : ""}${text} ${Math.abs(rounded) === 1 ? "pt" : "pts"}`;
}

/**
 * Lift on the journey page: conversion of the people who got the messages against the
 * holdout (who got none), the difference in percentage points with its 95% interval, and
 * what that says. Shown when the journey has a holdout arm.
 */
export function LiftCard({ journeyId }: { journeyId: string }) {
  const trpc = useTRPC();
  const lift = useQuery({ ...trpc.journeys.lift.queryOptions({ id: journeyId }), refetchInterval: 30_000 });
  // No published version has a holdout arm (yet): nothing to compare.
  if (lift.data && !lift.data.hasHoldout) return null;
  return (
    <Card>
      <CardHeader title="Lift" description="Conversion of people who got the messages, against the holdout, who got none." />
      <CardBody className="space-y-4" >
        {lift.isError ? (
          <QueryError error={lift.error} what="the lift" onRetry={() => void lift.refetch()} retrying={lift.isRefetching} />
        ) : lift.isPending ? (
          <div className="h-32 animate-pulse rounded-lg bg-slate-100" aria-label="Loading the lift" />
        ) : (
          <LiftView lift={lift.data} />
        )}
      </CardBody>
    </Card>
  );
}

function LiftView({ lift }: { lift: Lift }) {
  const groups = (
    <dl className="grid grid-cols-2 gap-3 text-sm" data-testid="lift-groups">
      {(
        [
          ["Got the messages", lift.messaged],
          ["Holdout", lift.holdout],
        ] as const
      ).map(([label, g]) => (
        <div key={label} className="rounded-lg bg-slate-50 px-3 py-2">
          <dt className="text-xs text-slate-500">{label}</dt>
          <dd className="text-lg font-semibold text-slate-900 tabular-nums">{formatPercent(g.converted, g.people)}</dd>
          <dd className="text-xs text-slate-500 tabular-nums">
            {formatCount(g.converted)} of {formatCount(g.people)} converted
          </dd>
        </div>
      ))}
    </dl>
  );
  if (!lift.difference) {
    return (
      <div data-testid="lift-empty">
        {groups}
        <div className="mt-4 flex items-start gap-3 rounded-lg border border-dashed border-slate-300 px-3 py-3">
          <Scale className="mt-0.5 size-5 shrink-0 text-brand-600" aria-hidden="true" />
          <div className="text-sm">
            <p className="font-medium text-slate-900">Not enough people yet</p>
            <p className="mt-0.5 text-slate-500">Lift needs people in both groups: it shows once someone has been held out and someone has been messaged.</p>
          </div>
        </div>
        {!lift.hasGoal && <GoalHint />}
      </div>
    );
  }
  const d = lift.difference;
  const verdict =
    d.low > 0 ? "The messages raise conversion." : d.high < 0 ? "The messages lower conversion." : "Too few people to tell yet: the difference could be zero.";
  // The interval on a scale that always shows zero.
  const lo = Math.min(d.low, 0);
  const hi = Math.max(d.high, 0);
  const pad = Math.max((hi - lo) * 0.1, 1);
  const at = (v: number) => `${((v - (lo - pad)) / (hi + pad - (lo - pad))) * 100}%`;
  return (
    <div className="space-y-4" data-testid="lift">
      {groups}
      <div>
        <p className="flex items-baseline justify-between gap-2">
          <span className="text-sm text-slate-600">Difference</span>
          <span className="text-lg font-semibold text-slate-900 tabular-nums" data-testid="lift-difference">
            {points(d.points)}
          </span>
        </p>
        <div className="relative mt-2 h-6" role="img" aria-label={`95% interval from ${points(d.low)} to ${points(d.high)}`}>
          <span className="absolute inset-x-0 top-1/2 h-px bg-slate-200" aria-hidden="true" />
          <span className="absolute top-0 bottom-0 w-px bg-slate-400" style={{ left: at(0) }} aria-hidden="true" />
          <span className="absolute top-1/2 h-1.5 -translate-y-1/2 rounded-full bg-brand-200" style={{ left: at(d.low), width: `calc(${at(d.high)} - ${at(d.low)})` }} aria-hidden="true" />
          <span className="absolute top-1/2 size-2.5 -translate-x-1/2 -translate-y-1/2 rounded-full bg-brand-600 ring-2 ring-white" style={{ left: at(d.points) }} aria-hidden="true" />
        </div>
        <div className="relative h-4 text-[11px] text-slate-400 tabular-nums" aria-hidden="true">
          <span className="absolute -translate-x-1/2" style={{ left: at(0) }}>
            0
          </span>
        </div>
        <p className="mt-1 text-xs text-slate-500 tabular-nums">
          95% interval: {points(d.low)} to {points(d.high)}
        </p>
      </div>
      <p className="text-sm text-slate-700">{verdict}</p>
      {lift.notYetSplit > 0 && <p className="text-xs text-slate-500">{formatCount(lift.notYetSplit)} more {lift.notYetSplit === 1 ? "person has" : "people have"} not passed the split (yet) and count in neither group.</p>}
      {!lift.hasGoal && <GoalHint />}
      <p className="text-xs text-slate-400">Interval: Newcombe&apos;s hybrid score method.</p>
    </div>
  );
}

function GoalHint() {
  return <p className="mt-3 text-xs text-amber-800">This journey has no goal, so nobody converts: set one in the journey settings.</p>;
}
