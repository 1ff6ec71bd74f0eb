"use client";

import { useQuery } from "@tanstack/react-query";
import { Activity, CircleAlert, CircleCheck, Clock } from "lucide-react";
import Link from "next/link";
import type { ReactNode } from "react";
import { formatCount, formatDateTime, relativeTime } from "@/lib/format";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card, CardBody, CardHeader } from "../ui/card";
import { QueryError } from "../ui/query-error";

/** What each change feed consumer does, in the words of the people who rely on it. */
const CONSUMERS: Record<string, string> = {
  segments: "Keeps saved segments current as events arrive and time passes",
  journeys: "Enrolls people when journey triggers happen, and wakes those waiting for an event",
};

function lagText(seconds: number): string {
  if (seconds < 1) return "caught up";
  if (seconds < 90) return `${Math.round(seconds)} s behind`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min behind`;
  return `${Math.round(seconds / 3600)} h behind`;
}

function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="mt-1 text-xl font-semibold tabular-nums text-slate-900">{value}</dd>
      {hint && <dd className="mt-0.5 text-xs text-slate-500">{hint}</dd>}
    </div>
  );
}

/**
 * Settings → Status (admins): is the background work keeping up? The change feed's
 * consumers with their lag in rows and seconds and any row they had to skip, time-based
 * segment re-checks, corrections by the periodic check, and the job queue. Refreshes every
 * five seconds.
 */
export function SystemStatus() {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.system.status.queryOptions(), refetchInterval: 5_000 });
  if (status.error) return <QueryError error={status.error} what="the system status" onRetry={() => status.refetch()} retrying={status.isFetching} />;
  const data = status.data;
  const lagging = data?.feed.some((c) => c.lagging) ?? false;
  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title="Change feed"
          description="Every stored event, merge, deletion and segment entry or exit is read by these consumers, in order. Each keeps its own position."
          actions={
            data &&
            (lagging ? (
              <Badge tone="amber" className="whitespace-nowrap">Falling behind</Badge>
            ) : (
              <Badge tone="green" className="whitespace-nowrap">Keeping up</Badge>
            ))
          }
        />
        <CardBody className="p-0">
          <table className="w-full text-sm">
            <thead className="border-b border-slate-100 text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th scope="col" className="px-5 py-2 font-medium">Consumer</th>
                <th scope="col" className="px-5 py-2 text-right font-medium">Waiting</th>
                <th scope="col" className="px-5 py-2 font-medium">Lag</th>
                <th scope="col" className="px-5 py-2 font-medium">Last row read</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {!data &&
                [0, 1].map((i) => (
                  <tr key={i}>
                    <td colSpan={4} className="px-5 py-3">
                      <div className="h-4 w-2/3 animate-pulse rounded bg-slate-100" />
                    </td>
                  </tr>
                ))}
              {data?.feed.map((c) => (
                <tr key={c.consumer} className="align-top">
                  <td className="px-5 py-3">
                    <div className="font-medium text-slate-900">{c.consumer}</div>
                    <div className="text-xs text-slate-500">{CONSUMERS[c.consumer] ?? "A consumer of the change feed"}</div>
                    {c.lastError && (
                      <div className="mt-1 flex items-start gap-1 text-xs text-red-700">
                        <CircleAlert className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
                        <span>
                          {c.lastError}
                          {c.lastErrorAt && <span className="text-red-500"> · {relativeTime(new Date(c.lastErrorAt))}</span>}
                        </span>
                      </div>
                    )}
                  </td>
                  <td className="px-5 py-3 text-right tabular-nums">
                    {c.behind >= 100_000 ? "100,000+" : formatCount(c.behind)}
                  </td>
                  <td className="px-5 py-3">
                    <span className={c.lagging ? "inline-flex items-center gap-1 font-medium text-amber-700" : "inline-flex items-center gap-1 text-emerald-700"}>
                      {c.lagging ? <Clock className="size-3.5" aria-hidden="true" /> : <CircleCheck className="size-3.5" aria-hidden="true" />}
                      {lagText(c.seconds)}
                    </span>
                  </td>
                  <td className="px-5 py-3 text-slate-600" title={formatDateTime(new Date(c.updatedAt))}>
                    {relativeTime(new Date(c.updatedAt))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </CardBody>
      </Card>

      <div className="grid gap-6 md:grid-cols-3">
        <Card>
          <CardHeader title="Time-based re-checks" description="People whose segments change with time alone, decided again at that moment." />
          <CardBody>
            <dl className="grid grid-cols-2 gap-4">
              <Stat label="Scheduled" value={data ? formatCount(data.rechecks.scheduled) : "…"} hint={data?.rechecks.nextDueAt ? `next ${relativeTime(new Date(data.rechecks.nextDueAt))}` : "none due"} />
              <Stat label="Overdue" value={data ? formatCount(data.rechecks.overdue) : "…"} hint="by more than a minute" />
            </dl>
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Corrections" description="Entries and exits the 10-minute safety check had to make (there should be none)." />
          <CardBody>
            <dl>
              <Stat label="Last 24 hours" value={data ? formatCount(data.repairs24h) : "…"} hint={data && data.repairs24h === 0 ? "Real-time decisions were right" : "See a segment's recent entries and exits (cause: corrected)"} />
            </dl>
          </CardBody>
        </Card>
        <Card>
          <CardHeader title="Background jobs" description="Segment recomputes after a definition changes, checks, clean-up." />
          <CardBody>
            <dl className="grid grid-cols-2 gap-4">
              <Stat label="Queued" value={data ? formatCount(data.jobs.queued) : "…"} />
              <Stat label="Failed" value={data ? formatCount(data.jobs.failed) : "…"} hint={data && data.jobs.failed > 0 ? "gave up after retries" : undefined} />
            </dl>
          </CardBody>
        </Card>
      </div>
      <Card>
        <CardHeader
          title="Journeys"
          description={
            <>
              Steps due now and messages waiting to go out, across this workspace&apos;s journeys. Failed sends can be retried from{" "}
              <Link href="/messages/deliveries?status=failed" className="font-medium text-brand-700 hover:underline">
                Deliveries
              </Link>
              .
            </>
          }
        />
        <CardBody>
          <dl className="grid grid-cols-2 gap-4 md:grid-cols-6" data-testid="journey-runtime-status">
            <Stat label="Steps due" value={data ? formatCount(data.journeys.due) : "…"} hint={data?.journeys.oldestDueAt ? `oldest ${relativeTime(new Date(data.journeys.oldestDueAt))}` : "none waiting"} />
            <Stat label="Late" value={data ? formatCount(data.journeys.late) : "…"} hint={data && data.journeys.late > 0 ? "workers are behind or stopped" : "by more than 5 seconds"} />
            <Stat label="Sends due" value={data ? formatCount(data.journeys.sendsDue) : "…"} />
            <Stat label="Sending now" value={data ? formatCount(data.journeys.sending) : "…"} />
            <Stat label="Failed (24 h)" value={data ? formatCount(data.journeys.failed24h) : "…"} hint="after retries, or permanent" />
            <Stat label="Unknown (24 h)" value={data ? formatCount(data.journeys.unknown24h) : "…"} hint="a worker stopped mid-send" />
          </dl>
        </CardBody>
      </Card>
      {data && (
        <p className="flex items-center gap-1.5 text-xs text-slate-500">
          <Activity className="size-3.5" aria-hidden="true" /> Checked {formatDateTime(new Date(data.checkedAt))}; refreshes every 5 seconds. The same lag is in <code>/api/v1/health</code>.
        </p>
      )}
    </div>
  );
}
