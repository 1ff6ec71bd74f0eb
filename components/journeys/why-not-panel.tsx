"use client";

import { useQuery } from "@tanstack/react-query";
import { CircleCheck, CircleHelp, CircleSlash, Clock, DoorClosed, type LucideIcon } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { nodeLabel } from "@/lib/journeys/describe";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import { CHANNEL_LABELS } from "@/lib/messages/schema";
import { PersonPicker, type PickedPerson } from "../profiles/person-picker";
import { useTRPC } from "../trpc/client";
import { cn } from "../ui/cn";
import { Field, Select } from "../ui/field";
import { QueryError } from "../ui/query-error";
import { Decisions, readableTimes } from "./profile-journeys";

type Answer = ReturnType<typeof useTRPC>["journeys"]["whyNot"]["~types"]["output"];

const OUTCOMES: Record<Answer["outcome"], { icon: LucideIcon; title: string; box: string; tint: string }> = {
  sent: { icon: CircleCheck, title: "They got it", box: "bg-emerald-50/70 ring-emerald-200", tint: "text-emerald-600" },
  pending: { icon: Clock, title: "Not yet", box: "bg-brand-50/60 ring-brand-200", tint: "text-brand-600" },
  not_sent: { icon: CircleSlash, title: "Not sent", box: "bg-amber-50/70 ring-amber-200", tint: "text-amber-600" },
  unknown: { icon: CircleHelp, title: "Unknown", box: "bg-amber-50/70 ring-amber-200", tint: "text-amber-600" },
  not_entered: { icon: DoorClosed, title: "Never entered", box: "bg-slate-50 ring-slate-200", tint: "text-slate-500" },
};

/**
 * The journey page's "Why not?": pick a person (anyone, also people who never entered) and
 * optionally one of the journey's messages, and read why they did or did not get it — the
 * trigger, the re-entry rule, their path (the branch that led elsewhere, explained), the
 * delivery's fate. `selectedNodeId`: the step selected on the canvas, asked about when it sends.
 */
export function WhyNotPanel({ journeyId, definition, templateNames, selectedNodeId }: { journeyId: string; definition: JourneyDefinition; templateNames: ReadonlyMap<string, string>; selectedNodeId: string | null }) {
  const trpc = useTRPC();
  const [person, setPerson] = useState<PickedPerson | null>(null);
  const messages = definition.nodes.filter((n) => n.kind === "send" || n.kind === "webhook");
  const [chosen, setChosen] = useState<string | null>(null);
  // The step selected on the canvas, when it sends, until another is chosen here.
  const nodeId = chosen ?? (selectedNodeId && messages.some((n) => n.id === selectedNodeId) ? selectedNodeId : "");
  const answer = useQuery({
    ...trpc.journeys.whyNot.queryOptions({ id: journeyId, profileId: person?.id ?? "", nodeId: nodeId || null }),
    enabled: person !== null,
    refetchOnWindowFocus: "always",
  });

  return (
    <div className="space-y-4" data-testid="why-not">
      <PersonPicker person={person} onChange={setPerson} clearLabel="Ask about someone else" />
      <Field label="Message" hint={messages.length === 0 ? "This journey sends nothing yet." : "Or click a send step on the canvas."}>
        {(p) => (
          <Select {...p} value={nodeId} onChange={(e) => setChosen(e.target.value)}>
            <option value="">Any of its messages</option>
            {messages.map((n) => {
              const template = n.templateId ? templateNames.get(n.templateId) : undefined;
              const channel = n.kind === "send" && n.channel ? CHANNEL_LABELS[n.channel] : n.kind === "webhook" ? "Webhook" : null;
              return (
                <option key={n.id} value={n.id}>
                  {[n.label?.trim() || template || nodeLabel(n), channel].filter(Boolean).join(" · ")}
                </option>
              );
            })}
          </Select>
        )}
      </Field>
      {!person ? (
        <p className="text-sm text-slate-500">Choose a person to see whether they got {nodeId ? "this message" : "this journey's messages"}, and if not, why not — also for people who never entered.</p>
      ) : answer.isError ? (
        <QueryError error={answer.error} what="the answer" onRetry={() => void answer.refetch()} retrying={answer.isRefetching} />
      ) : answer.isPending ? (
        <div className="h-28 animate-pulse rounded-lg bg-slate-100" aria-label="Looking into it" />
      ) : (
        <AnswerView answer={answer.data} />
      )}
    </div>
  );
}

function AnswerView({ answer }: { answer: Answer }) {
  const look = OUTCOMES[answer.outcome];
  const Icon = look.icon;
  return (
    <div className="space-y-3" role="status" aria-live="polite">
      <div className={cn("rounded-lg px-3 py-2.5 ring-1 ring-inset", look.box)} data-testid="why-not-answer" data-outcome={answer.outcome}>
        <p className="flex items-center gap-1.5 text-xs font-semibold tracking-wide text-slate-600 uppercase">
          <Icon className={cn("size-4", look.tint)} aria-hidden="true" />
          {look.title}
          {answer.node && <span className="truncate font-normal tracking-normal normal-case">· {answer.node.label}</span>}
        </p>
        <p className="mt-1 text-sm font-medium text-slate-900">{readableTimes(answer.answer)}</p>
      </div>
      {answer.branch && (
        <section className="rounded-lg border border-slate-200 px-3 py-2.5" aria-label="The branch, explained">
          <h3 className="text-sm font-medium text-slate-800">Why they went another way at “{answer.branch.nodeLabel}”</h3>
          <Decisions decisions={answer.branch.decisions} explained />
        </section>
      )}
      {answer.details.length > 0 && (
        <ul className="space-y-1.5 text-sm text-slate-700" data-testid="why-not-details">
          {answer.details.map((d, i) => (
            <li key={i} className="flex gap-2">
              <span className="mt-2 size-1 shrink-0 rounded-full bg-slate-400" aria-hidden="true" />
              <span>{readableTimes(d)}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="text-sm">
        <Link href={`/profiles/${answer.person.id}`} className="font-medium text-brand-700 hover:underline">
          {answer.enrollmentId ? "Their full trace is on their profile (Journeys tab) →" : "Open their profile →"}
        </Link>
      </p>
    </div>
  );
}
