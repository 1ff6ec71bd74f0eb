"use client";

import { useQuery } from "@tanstack/react-query";
import { ChevronRight, Clock, DoorOpen, GitBranch, Info, Mail, PartyPopper, PencilLine, Route, Split, TriangleAlert, Webhook, Zap, type LucideIcon } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime, relativeTime } from "@/lib/format";
import type { JourneyNode } from "@/lib/journeys/schema";
import { CHANNEL_LABELS, type MessageChannel } from "@/lib/messages/schema";
import { useSegmentChoices } from "../conditions/suggestions";
import { StatusBadge } from "../messages/delivery-list";
import { Explanation } from "../segments/explanation";
import { useTRPC } from "../trpc/client";
import { Badge } from "../ui/badge";
import { Card } from "../ui/card";
import { cn } from "../ui/cn";
import { EmptyState } from "../ui/empty-state";
import { QueryError } from "../ui/query-error";

type Trace = ReturnType<typeof useTRPC>["journeys"]["trace"]["~types"]["output"];
type Entry = Trace["entries"][number];
export type TraceDecision = Extract<Entry, { type: "step" }>["decisions"][number];

const STATUS: Record<"active" | "completed" | "exited" | "converted", { label: string; tone: "green" | "slate" | "amber" | "brand" }> = {
  active: { label: "In it now", tone: "green" },
  completed: { label: "Completed", tone: "slate" },
  exited: { label: "Left", tone: "amber" },
  converted: { label: "Converted", tone: "brand" },
};

/** The steps' icons, as on the canvas. */
export const STEP_ICONS: Record<JourneyNode["kind"], LucideIcon> = {
  trigger: Zap,
  wait: Clock,
  branch: GitBranch,
  split: Split,
  send: Mail,
  update: PencilLine,
  webhook: Webhook,
  exit: DoorOpen,
};

/** The runtime names moments as ISO times; people read them in their own zone. */
export function readableTimes(text: string): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, (iso) => formatDateTime(new Date(iso)));
}

/** The profile page's Journeys tab: the journeys this person is in now and was in; each opens to its trace. */
export function ProfileJourneys({ profileId }: { profileId: string }) {
  const trpc = useTRPC();
  const journeys = useQuery(trpc.journeys.ofProfile.queryOptions({ profileId }));
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  if (journeys.isPending) return <div className="h-40 animate-pulse rounded-xl bg-slate-100" />;
  if (journeys.isError) return <QueryError error={journeys.error} what="this person's journeys" onRetry={() => void journeys.refetch()} retrying={journeys.isRefetching} />;
  if (journeys.data.length === 0) {
    return <EmptyState icon={Route} title="In no journeys" description="This person has not entered a journey yet. Live journeys enroll people when their trigger happens." />;
  }
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  return (
    <Card>
      <ul className="divide-y divide-slate-100" data-testid="profile-journeys">
        {journeys.data.map((j) => {
          const status = STATUS[j.status];
          const expanded = open.has(j.enrollmentId);
          const panelId = `trace-${j.enrollmentId}`;
          return (
            <li key={j.enrollmentId} data-testid="profile-journey">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-2.5 text-sm">
                <button
                  type="button"
                  aria-expanded={expanded}
                  aria-controls={panelId}
                  aria-label={`${expanded ? "Hide" : "Show"} the trace of ${j.journeyName}`}
                  onClick={() => toggle(j.enrollmentId)}
                  className="rounded-md p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800 focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none"
                >
                  <ChevronRight className={cn("size-4 transition-transform", expanded && "rotate-90")} aria-hidden="true" />
                </button>
                <Link href={`/journeys/${j.journeyId}`} className="font-semibold text-brand-700 hover:underline">
                  {j.journeyName}
                </Link>
                <span className="text-xs text-slate-500">v{j.version}</span>
                {j.phase && <Badge tone="slate">{j.phase[0]!.toUpperCase() + j.phase.slice(1)}</Badge>}
                <Badge tone={status.tone}>{status.label}</Badge>
                {j.convertedAt && j.status !== "converted" && <Badge tone="brand">Converted</Badge>}
                <span className="ml-auto text-xs text-slate-500" title={formatDateTime(j.enteredAt)}>
                  entered {relativeTime(j.enteredAt)}
                  {j.endedAt && ` · ended ${relativeTime(j.endedAt)}${j.exitReason ? ` (${j.exitReason.replace(/_/g, " ")})` : ""}`}
                </span>
              </div>
              {expanded && (
                <div id={panelId} className="border-t border-slate-100 bg-slate-50/60 px-5 py-4">
                  <EnrollmentTraceView enrollmentId={j.enrollmentId} />
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

/** One enrollment's trace as a vertical timeline: when, what happened, why. */
export function EnrollmentTraceView({ enrollmentId }: { enrollmentId: string }) {
  const trpc = useTRPC();
  const trace = useQuery({ ...trpc.journeys.trace.queryOptions({ enrollmentId }), refetchOnWindowFocus: "always" });
  if (trace.isPending) {
    return (
      <div className="space-y-3" aria-label="Loading the trace">
        {Array.from({ length: 3 }, (_, i) => (
          <div key={i} className="h-12 animate-pulse rounded-lg bg-slate-100" />
        ))}
      </div>
    );
  }
  if (trace.isError) return <QueryError error={trace.error} what="the trace" onRetry={() => void trace.refetch()} retrying={trace.isRefetching} />;
  const { enrollment: e, entries, truncated } = trace.data;
  return (
    <div className="space-y-4" data-testid="enrollment-trace">
      <p className="flex flex-wrap items-center gap-2 text-sm text-slate-700" role="status">
        {e.position ? (
          <span>
            <span className="font-medium text-slate-900">Now at “{e.position.nodeLabel}”</span>
            {e.position.waitingFor ? ` waiting for ${e.position.waitingFor}` : ""}
            {e.position.wakeAt ? `${e.position.waitingFor ? ", at most" : ""} until ${formatDateTime(e.position.wakeAt)}` : ""}
            {e.journey.status === "paused" ? " — the journey is paused" : ""}.
          </span>
        ) : (
          <span className="font-medium text-slate-900">{e.endText ?? "Out of the journey."}</span>
        )}
        {e.holdout && <Badge tone="amber">Holdout: gets no messages</Badge>}
        {e.triggerEvent && <span className="text-xs text-slate-500">Entered on {e.triggerEvent}{e.correlationKey ? ` (${e.correlationKey})` : ""}</span>}
      </p>
      {truncated && <p className="text-xs text-slate-500">Only the newest steps are shown.</p>}
      <ol className="relative ml-2 space-y-4 border-l border-slate-200 pl-5">
        {entries.map((entry, i) => (
          <TimelineItem key={i} entry={entry} />
        ))}
      </ol>
    </div>
  );
}

const DOT: Record<string, string> = {
  enter: "bg-emerald-500",
  timer: "bg-slate-400",
  event: "bg-brand-500",
  check: "bg-slate-400",
  send_failed: "bg-red-500",
};

function TimelineItem({ entry }: { entry: Entry }) {
  const time = (
    <time dateTime={entry.at.toISOString()} className="text-xs font-medium text-slate-600">
      {formatDateTime(entry.at)}
    </time>
  );
  if (entry.type === "note") {
    const Icon = entry.tone === "good" ? PartyPopper : entry.tone === "warning" ? TriangleAlert : Info;
    return (
      <li className="relative" data-testid="trace-entry">
        <span className={cn("absolute top-1 -left-[27px] size-3 rounded-full ring-4 ring-white", entry.tone === "good" ? "bg-brand-500" : entry.tone === "warning" ? "bg-amber-500" : "bg-slate-300")} aria-hidden="true" />
        {time}
        <p className="mt-1 flex items-start gap-1.5 text-sm text-slate-800">
          <Icon className={cn("mt-0.5 size-4 shrink-0", entry.tone === "good" ? "text-brand-600" : entry.tone === "warning" ? "text-amber-600" : "text-slate-400")} aria-hidden="true" />
          {entry.text}
        </p>
      </li>
    );
  }
  if (entry.type === "delivery") {
    const d = entry.delivery;
    const Icon = d.channel === "webhook" ? Webhook : Mail;
    return (
      <li className="relative" data-testid="trace-delivery">
        <span className={cn("absolute top-1 -left-[27px] size-3 rounded-full ring-4 ring-white", d.status === "sent" || d.status === "delivered" ? "bg-emerald-500" : d.status === "failed" || d.status === "bounced" ? "bg-red-500" : "bg-amber-400")} aria-hidden="true" />
        {time}
        <div className="mt-1 rounded-lg border border-slate-200 bg-white px-3 py-2 text-sm shadow-xs">
          <p className="flex flex-wrap items-center gap-2">
            <Icon className="size-4 text-slate-400" aria-hidden="true" />
            <span className="font-medium text-slate-900">{CHANNEL_LABELS[d.channel as MessageChannel] ?? d.channel}</span>
            {d.nodeLabel && <span className="text-slate-500">{d.nodeLabel}</span>}
            <StatusBadge status={d.status} />
            {d.summary.toLowerCase() !== d.status && <span className="text-slate-600">{readableTimes(d.summary)}</span>}
          </p>
          {d.reason && <p className="mt-1 text-slate-700">{readableTimes(d.reason)}</p>}
          <p className="mt-1 text-xs text-slate-500">
            {[d.recipient ? `To ${d.recipient}` : null, d.attempts > 0 ? `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}` : null, d.sentAt ? `sent ${formatDateTime(d.sentAt)}` : null].filter(Boolean).join(" · ")}
          </p>
        </div>
      </li>
    );
  }
  return (
    <li className="relative" data-testid="trace-entry">
      <span className={cn("absolute top-1 -left-[27px] size-3 rounded-full ring-4 ring-white", DOT[entry.cause] ?? "bg-slate-400")} aria-hidden="true" />
      <div className="flex flex-wrap items-center gap-2">
        {time}
        <Badge tone={entry.cause === "enter" ? "green" : entry.cause === "event" ? "brand" : entry.cause === "send_failed" ? "red" : "slate"}>{entry.causeText}</Badge>
        {entry.holdout && <Badge tone="amber">Holdout</Badge>}
        {entry.converted && <Badge tone="brand">Conversion</Badge>}
        {entry.ended && <Badge tone={entry.ended.reason === "completed" ? "slate" : entry.ended.reason === "goal" ? "brand" : "amber"}>{entry.ended.reason === "completed" ? "Completed" : entry.ended.reason === "goal" ? "Converted" : "Left"}</Badge>}
      </div>
      <Decisions decisions={entry.decisions} />
      {entry.ended && entry.ended.reason !== "completed" && <p className="mt-1.5 text-sm text-slate-700">{entry.ended.text}</p>}
    </li>
  );
}

/** The interpreter's decisions, step by step; a branch case opens to the evaluator's explanation. */
export function Decisions({ decisions, explained = false }: { decisions: TraceDecision[]; explained?: boolean }) {
  const segments = useSegmentChoices();
  const segmentName = (id: string) => segments.find((s) => s.id === id)?.name ?? "a deleted segment";
  return (
    <ul className="mt-1.5 space-y-1.5 text-sm">
      {decisions.map((d, i) => {
        const Icon = d.nodeKind ? STEP_ICONS[d.nodeKind] : null;
        return (
          <li key={i} className="space-y-1">
            <p className="flex flex-wrap items-center gap-1.5 text-slate-800">
              {d.nodeLabel && (
                <span className="inline-flex items-center gap-1 rounded bg-white px-1.5 py-0.5 text-xs font-medium text-slate-700 ring-1 ring-slate-200 ring-inset">
                  {Icon && <Icon className="size-3" aria-hidden="true" />}
                  {d.nodeLabel}
                </span>
              )}
              <span>{readableTimes(d.text)}</span>
            </p>
            {d.trace && d.condition && explained && (
              <div className="ml-1 rounded-md bg-white px-2.5 py-2 ring-1 ring-slate-200 ring-inset" data-testid="trace-explanation">
                <Explanation node={d.condition.root} trace={d.trace} segmentName={segmentName} />
              </div>
            )}
            {d.trace && d.condition && !explained && (
              <details className="ml-1 rounded-md bg-white px-2.5 py-1.5 ring-1 ring-slate-200 ring-inset">
                <summary className="cursor-pointer text-xs font-medium text-slate-600 select-none hover:text-slate-900">Why</summary>
                <div className="mt-1.5" data-testid="trace-explanation">
                  <Explanation node={d.condition.root} trace={d.trace} segmentName={segmentName} />
                </div>
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}
