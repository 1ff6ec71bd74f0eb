import { formatDuration } from "@/lib/format";
import { nodeLabel } from "@/lib/journeys/describe";
import { correlationOf, type Effect, type EnrollmentState } from "@/lib/journeys/interpret";
import { durationMs, ZJourneyDefinition, type JourneyDefinition, type JourneyNode } from "@/lib/journeys/schema";
import { eventMatches, eventTriggerVerdict, triggerOf, type EventTrigger } from "@/lib/journeys/triggers";
import { CHANNEL_LABELS, type MessageChannel } from "@/lib/messages/schema";
import { personLabel } from "@/lib/profiles/display";
import { describeNode } from "@/lib/segments/editing";
import { pathGetter, type EvalEvent, type Trace } from "@/lib/segments/evaluate";
import type { PropertyFilter, SegmentDefinition, SegmentNode } from "@/lib/segments/schema";
import type { DbTx } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import type { DeliveryStatus } from "@/server/messages/deliveries";
import { ENROLL_REFUSALS } from "@/server/journeys/runtime/enroll";

/**
 * "Seeing why" (issue 18): what the journey runtime recorded, read back for people.
 *
 * - `enrollmentTrace`: one enrollment's way through a journey — each step the stepper took
 *   (journey_steps: when, what woke it, the interpreter's decisions with the segment
 *   evaluator's explanation of each branch case, waits, the end) and each send it queued
 *   (deliveries: status, reason — consent, caps, quiet hours, holdout —, attempts), in time order.
 * - `whyNot`: "why did this person not get this message?" for anyone, also people who never
 *   entered: the journey's state, the trigger (their events since the live version went live,
 *   judged by `eventTriggerVerdict`; segment entries from the membership history), the re-entry
 *   rule (journey_entries), their path (visits, the branch that led elsewhere) and the delivery.
 * - `journeyLift`: conversion of the holdout against the people who got the messages.
 *
 * Reads only. Moments inside sentences are ISO 8601 times, which the browser shows in the
 * viewer's own zone (as the simulation does with the interpreter's decisions).
 */

const iso = (d: Date) => d.toISOString();

/** "Held for …" → "held for …"; leaves "SMS…" and "ASAP" alone. */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

function channelWord(channel: string): string {
  const label = CHANNEL_LABELS[channel as MessageChannel] ?? channel;
  return label === label.toUpperCase() ? label : lowerFirst(label);
}

const times = (n: number) => (n === 1 ? "once" : n === 2 ? "twice" : `${n} times`);

function parseDefinition(json: unknown): JourneyDefinition | null {
  const parsed = ZJourneyDefinition.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** Why an enrollment ended, in words. */
export const ENDINGS: Record<string, string> = {
  completed: "Reached the end of the journey.",
  goal: "Reached the journey's goal.",
  exit_criteria: "Met the journey's exit criteria and left.",
  no_path: "No step followed, so the journey ended for them.",
  merged: "Their profile was merged into another one.",
  archived: "The journey was archived with “exit everyone”.",
  send_failed: "A message could not be sent, and that step says to leave the journey.",
};

const CAUSES: Record<string, string> = {
  enter: "Entered",
  timer: "Wait ended",
  event: "Event arrived",
  check: "Goal and exit checked",
  send_failed: "Message failed",
  archive: "Journey archived",
};

/** Node names, from the enrollment's version first, then the journey's other versions (people moved between versions). */
function labeler(defs: (JourneyDefinition | null)[], templateNames: ReadonlyMap<string, string>) {
  const nodes = new Map<string, JourneyNode>();
  for (const def of defs) for (const n of def?.nodes ?? []) if (!nodes.has(n.id)) nodes.set(n.id, n);
  return {
    node: (id: string | null | undefined) => (id ? (nodes.get(id) ?? null) : null),
    label(id: string | null | undefined): string | null {
      if (!id) return null;
      const node = nodes.get(id);
      if (!node) return "a step that no longer exists";
      if (!node.label?.trim() && (node.kind === "send" || node.kind === "webhook") && node.templateId && templateNames.has(node.templateId)) {
        return `${nodeLabel(node)} “${templateNames.get(node.templateId)}”`;
      }
      return nodeLabel(node);
    },
    /** A message step by what people know it as: its own label, else its template's name. */
    message(id: string): string {
      const node = nodes.get(id);
      if (!node) return "a step that no longer exists";
      const template = (node.kind === "send" || node.kind === "webhook") && node.templateId ? templateNames.get(node.templateId) : undefined;
      return node.label?.trim() || template || nodeLabel(node);
    },
  };
}
type Labeler = ReturnType<typeof labeler>;

async function templateNamesOf(db: DbTx, workspaceId: string, defs: (JourneyDefinition | null)[]): Promise<Map<string, string>> {
  const ids = [...new Set(defs.flatMap((d) => (d?.nodes ?? []).flatMap((n) => ((n.kind === "send" || n.kind === "webhook") && n.templateId ? [n.templateId] : []))))];
  if (ids.length === 0) return new Map();
  const rows = await db.messageTemplate.findMany({ where: { workspaceId, id: { in: ids } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.id, r.name]));
}

// ——— One enrollment's trace ———

export interface TraceDecision {
  nodeId: string | null;
  nodeLabel: string | null;
  /** The step's kind (for its icon); null when it no longer exists. */
  nodeKind: JourneyNode["kind"] | null;
  text: string;
  /** A branch case's evaluation (lib/segments/evaluate.ts), node by node… */
  trace?: Trace;
  /** …and the case's condition, to explain it. */
  condition?: SegmentDefinition;
}

export interface TraceDelivery {
  id: string;
  nodeId: string | null;
  nodeLabel: string | null;
  channel: string;
  status: DeliveryStatus;
  /** What became of it, in a few words ("Sent", "Held until …", "Failed after 3 attempts"). */
  summary: string;
  /** Why, as the sender recorded it (consent, a cap, quiet hours, the holdout, the provider's answer). */
  reason: string | null;
  attempts: number;
  recipient: string;
  createdAt: Date;
  sentAt: Date | null;
  updatedAt: Date;
  /** A queued send goes out at or after this (the end of quiet hours, a retry's backoff). */
  nextAttemptAt: Date | null;
}

export type TraceEntry =
  | {
      type: "step";
      at: Date;
      step: number;
      cause: string;
      /** The cause in words: "Entered", "Wait ended", "Event arrived"… */
      causeText: string;
      /** Where the step ended: the node they wait at, or where they left. */
      nodeId: string | null;
      nodeLabel: string | null;
      decisions: TraceDecision[];
      /** The wait the step ended in, with until when (null: no timer) and the event it waits for. */
      wait: { nodeId: string; nodeLabel: string | null; until: Date | null; forEvent: string | null } | null;
      /** The step ended the enrollment. */
      ended: { reason: string; text: string } | null;
      converted: boolean;
      /** Fell into a split's holdout arm here. */
      holdout: boolean;
    }
  | { type: "delivery"; at: Date; delivery: TraceDelivery }
  /** What happened without a step of its own: an archive or merge ended it, a late conversion, a first step still to come. */
  | { type: "note"; at: Date; text: string; tone: "neutral" | "good" | "warning" };

export interface EnrollmentTrace {
  enrollment: {
    id: string;
    journey: { id: string; name: string; status: string };
    version: number;
    status: "active" | "completed" | "exited" | "converted";
    exitReason: string | null;
    /** Why it ended, in words (null while active). */
    endText: string | null;
    holdout: boolean;
    correlationKey: string;
    enteredAt: Date;
    endedAt: Date | null;
    convertedAt: Date | null;
    /** The event that enrolled them (its name), for event triggers. */
    triggerEvent: string | null;
    person: { id: string; primary: string; secondary: string | null };
    /** Where they wait now (active only). */
    position: { nodeId: string; nodeLabel: string | null; since: Date; wakeAt: Date | null; waitingFor: string | null } | null;
  };
  entries: TraceEntry[];
  /** More steps than shown (the newest are shown). */
  truncated: boolean;
}

/** At most this many steps per trace (the newest). */
const TRACE_STEPS = 300;

const DELIVERY_SELECT = {
  id: true,
  nodeId: true,
  channel: true,
  status: true,
  reason: true,
  attempts: true,
  recipient: true,
  createdAt: true,
  sentAt: true,
  updatedAt: true,
  nextAttemptAt: true,
  enrollmentId: true,
} as const;

type DeliveryRow = { id: string; nodeId: string | null; channel: string; status: string; reason: string | null; attempts: number; recipient: string; createdAt: Date; sentAt: Date | null; updatedAt: Date; nextAttemptAt: Date | null };

function deliverySummary(d: DeliveryRow, now: Date): string {
  switch (d.status as DeliveryStatus) {
    case "sent":
    case "delivered":
      return d.attempts > 1 ? `Sent (after ${d.attempts} attempts)` : "Sent";
    case "queued":
      if (d.nextAttemptAt && d.nextAttemptAt.getTime() > now.getTime()) {
        return d.reason?.startsWith("Held") ? `Held until ${iso(d.nextAttemptAt)}` : `Next attempt at ${iso(d.nextAttemptAt)}`;
      }
      return "Queued to go out now";
    case "sending":
      return "Being sent";
    case "suppressed":
      return "Not sent";
    case "failed":
      return d.attempts > 1 ? `Failed after ${d.attempts} attempts` : "Failed";
    case "unknown":
      return "May or may not have gone out";
    case "bounced":
      return "Bounced";
    default:
      return d.status;
  }
}

function toDelivery(d: DeliveryRow, labels: Labeler, now: Date): TraceDelivery {
  return {
    id: d.id,
    nodeId: d.nodeId,
    nodeLabel: labels.label(d.nodeId),
    channel: d.channel,
    status: d.status as DeliveryStatus,
    summary: deliverySummary(d, now),
    reason: d.reason,
    attempts: d.attempts,
    recipient: d.recipient,
    createdAt: d.createdAt,
    sentAt: d.sentAt,
    updatedAt: d.updatedAt,
    nextAttemptAt: d.nextAttemptAt,
  };
}

interface StoredDecision {
  nodeId: string | null;
  caseId?: string;
  text: string;
  trace?: Trace;
}

function decisionsOf(json: unknown): StoredDecision[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((d) =>
    typeof d === "object" && d !== null && typeof (d as StoredDecision).text === "string"
      ? [
          {
            nodeId: typeof (d as StoredDecision).nodeId === "string" ? (d as StoredDecision).nodeId : null,
            ...(typeof (d as StoredDecision).caseId === "string" ? { caseId: (d as StoredDecision).caseId } : {}),
            text: (d as StoredDecision).text,
            trace: (d as StoredDecision).trace,
          },
        ]
      : [],
  );
}

function effectsOf(json: unknown): Effect[] {
  return Array.isArray(json) ? (json.filter((e) => typeof e === "object" && e !== null && typeof (e as Effect).type === "string") as Effect[]) : [];
}

/**
 * Each traced branch decision with its case's condition: the interpreter evaluates a branch's
 * cases that have a condition, in order, one decision each (as the simulation pairs them).
 */
function withConditions(decisions: StoredDecision[], labels: Labeler): TraceDecision[] {
  const seen = new Map<string, number>();
  let last: string | null = null;
  return decisions.map((d) => {
    if (d.nodeId !== last) seen.delete(d.nodeId ?? "");
    last = d.nodeId;
    const node = labels.node(d.nodeId);
    const out: TraceDecision = { nodeId: d.nodeId, nodeLabel: labels.label(d.nodeId), nodeKind: node?.kind ?? null, text: d.text, ...(d.trace ? { trace: d.trace } : {}) };
    if (!d.trace) return out;
    if (node?.kind !== "branch") return out;
    const k = seen.get(node.id) ?? 0;
    seen.set(node.id, k + 1);
    // The decision names its case (steps stored before it did: the k-th case with a condition, the order the interpreter evaluates them in).
    const c = d.caseId ? node.cases.find((x) => x.id === d.caseId) : node.cases.filter((x) => x.condition)[k];
    return c?.condition ? { ...out, condition: c.condition } : out;
  });
}

function stepEntry(s: { step: number; at: Date; cause: string; nodeId: string | null; decisions: unknown; effects: unknown }, labels: Labeler): Extract<TraceEntry, { type: "step" }> {
  const effects = effectsOf(s.effects);
  const wait = effects.find((e): e is Extract<Effect, { type: "wait" }> => e.type === "wait");
  const exit = effects.find((e): e is Extract<Effect, { type: "exit" }> => e.type === "exit");
  const waitNode = wait ? labels.node(wait.nodeId) : null;
  return {
    type: "step",
    at: s.at,
    step: s.step,
    cause: s.cause,
    causeText: CAUSES[s.cause] ?? s.cause,
    nodeId: s.nodeId,
    nodeLabel: labels.label(s.nodeId),
    decisions: withConditions(decisionsOf(s.decisions), labels),
    wait: wait
      ? {
          nodeId: wait.nodeId,
          nodeLabel: labels.label(wait.nodeId),
          until: wait.until ? new Date(wait.until) : null,
          forEvent: wait.forEvent && waitNode?.kind === "wait" && waitNode.wait.type === "event" ? (waitNode.wait.event ?? null) : null,
        }
      : null,
    ended: exit ? { reason: exit.reason, text: ENDINGS[exit.reason] ?? exit.reason } : null,
    converted: effects.some((e) => e.type === "convert"),
    holdout: effects.some((e) => e.type === "holdout"),
  };
}

/** Steps first at the same moment: a step queues its sends in its own transaction, at its own time. */
const ENTRY_ORDER: Record<TraceEntry["type"], number> = { step: 0, delivery: 1, note: 2 };

export async function enrollmentTrace(db: DbTx, input: { workspaceId: string; enrollmentId: string; now?: Date }): Promise<EnrollmentTrace> {
  const now = input.now ?? new Date();
  const e = await db.journeyEnrollment.findFirst({
    where: { id: input.enrollmentId, workspaceId: input.workspaceId },
    include: {
      journey: { select: { id: true, name: true, status: true } },
      profile: { select: { id: true, userId: true, email: true, traits: true } },
    },
  });
  if (!e) throw new DomainError("NOT_FOUND", "This journey enrollment does not exist (the person or the journey may have been deleted).");
  const [versions, stepsDesc, deliveries] = await Promise.all([
    db.journeyVersion.findMany({ where: { journeyId: e.journeyId }, orderBy: { version: "desc" }, select: { version: true, definition: true } }),
    db.journeyStep.findMany({ where: { enrollmentId: e.id }, orderBy: { step: "desc" }, take: TRACE_STEPS + 1 }),
    db.delivery.findMany({ where: { enrollmentId: e.id, workspaceId: input.workspaceId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], take: 500, select: DELIVERY_SELECT }),
  ]);
  const own = versions.find((v) => v.version === e.version);
  const defs = [own, ...versions.filter((v) => v !== own)].map((v) => (v ? parseDefinition(v.definition) : null));
  const labels = labeler(defs, await templateNamesOf(db, input.workspaceId, defs));
  const truncated = stepsDesc.length > TRACE_STEPS;
  const steps = stepsDesc.slice(0, TRACE_STEPS).reverse();

  const entries: TraceEntry[] = [...steps.map((s) => stepEntry(s, labels)), ...deliveries.map((d): TraceEntry => ({ type: "delivery", at: d.createdAt, delivery: toDelivery(d, labels, now) }))];
  const status = e.status as EnrollmentTrace["enrollment"]["status"];
  if (status !== "active" && !entries.some((x) => x.type === "step" && x.ended)) {
    // Ended without a step of its own (an archive with "exit everyone", a merge).
    entries.push({ type: "note", at: e.endedAt ?? e.updatedAt, text: e.exitReason ? (ENDINGS[e.exitReason] ?? `Left the journey (${e.exitReason.replace(/_/g, " ")}).`) : "Left the journey.", tone: "warning" });
  }
  if (e.convertedAt && status !== "converted") {
    entries.push({ type: "note", at: e.convertedAt, text: "Reached the journey's goal after their way through it ended, within the conversion window: counted as a conversion.", tone: "good" });
  }
  if (status === "active" && steps.length === 0) {
    entries.push({ type: "note", at: e.enteredAt, text: "Entered the journey; their first step runs in a moment.", tone: "neutral" });
  }
  entries.sort((a, b) => a.at.getTime() - b.at.getTime() || ENTRY_ORDER[a.type] - ENTRY_ORDER[b.type]);

  const trigger = e.triggerEvent as { name?: unknown } | null;
  const label = personLabel(e.profile);
  return {
    enrollment: {
      id: e.id,
      journey: e.journey,
      version: e.version,
      status,
      exitReason: e.exitReason,
      endText: status === "active" ? null : e.exitReason ? (ENDINGS[e.exitReason] ?? e.exitReason.replace(/_/g, " ")) : null,
      holdout: e.holdout,
      correlationKey: e.correlationKey,
      enteredAt: e.enteredAt,
      endedAt: e.endedAt,
      convertedAt: e.convertedAt,
      triggerEvent: typeof trigger?.name === "string" ? trigger.name : null,
      person: { id: e.profile.id, primary: label.primary, secondary: label.secondary },
      position: status === "active" && e.nodeId ? { nodeId: e.nodeId, nodeLabel: labels.label(e.nodeId), since: e.updatedAt, wakeAt: e.wakeAt, waitingFor: e.waitingFor } : null,
    },
    entries,
    truncated,
  };
}

// ——— Why did this person not get this message? ———

export interface WhyNotAnswer {
  journey: { id: string; name: string; status: string };
  person: { id: string; primary: string; secondary: string | null };
  /** The message asked about (or the journey's only one); null: the journey's messages in general. */
  node: { id: string; label: string } | null;
  /** sent: they got it · pending: not yet, it may still come · not_sent: it was decided not to, or it failed · unknown: it may or may not have gone out · not_entered: they never entered. */
  outcome: "sent" | "pending" | "not_sent" | "unknown" | "not_entered";
  /** The answer, in a sentence or two. */
  answer: string;
  /** What led there, in order. */
  details: string[];
  /** The branch (or split) where their path turned away from the message, with the evaluator's explanation. */
  branch: { nodeId: string; nodeLabel: string | null; decisions: TraceDecision[] } | null;
  /** The enrollment the answer is about (its trace has the rest). */
  enrollmentId: string | null;
  /** The delivery the answer is about. */
  deliveryId: string | null;
}

type EnrollmentRow = {
  id: string;
  version: number;
  status: string;
  nodeId: string | null;
  state: unknown;
  holdout: boolean;
  correlationKey: string;
  enteredAt: Date;
  endedAt: Date | null;
  exitReason: string | null;
  wakeAt: Date | null;
  waitingFor: string | null;
  triggerEvent: unknown;
};

/** Nodes reachable from `from` along the journey's connections (itself included). */
function reaches(def: JourneyDefinition, from: string, to: string): boolean {
  if (from === to) return true;
  const out = new Map<string, string[]>();
  for (const e of def.edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    for (const next of out.get(queue.shift()!) ?? []) {
      if (next === to) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return false;
}

/**
 * Where a path turned away from `target`: the first branch or split on it from which the
 * target could still be reached, after which it could not.
 */
function turnedAway(def: JourneyDefinition, path: StoredDecision[], target: string): { nodeId: string; decisions: StoredDecision[] } | null {
  const kinds = new Map(def.nodes.map((n) => [n.id, n.kind]));
  for (let i = 0; i < path.length; i++) {
    const id = path[i]!.nodeId;
    if (!id || (kinds.get(id) !== "branch" && kinds.get(id) !== "split") || !reaches(def, id, target)) continue;
    let j = i;
    while (j < path.length && path[j]!.nodeId === id) j++;
    const next = path[j]?.nodeId ?? null;
    if (next === null || !reaches(def, next, target)) return { nodeId: id, decisions: path.slice(i, j) };
    i = j - 1;
  }
  return null;
}

const MESSAGE_KINDS = new Set<JourneyNode["kind"]>(["send", "webhook"]);

function messageWord(node: JourneyNode | null, channel?: string): string {
  if (node?.kind === "webhook" || channel === "webhook") return "webhook call";
  const c = channel ?? (node?.kind === "send" ? node.channel : undefined);
  return c ? `${channelWord(c)} message` : "message";
}

export async function whyNot(db: DbTx, input: { workspaceId: string; journeyId: string; profileId: string; nodeId?: string | null; now?: Date }): Promise<WhyNotAnswer> {
  const now = input.now ?? new Date();
  const [journey, profile] = await Promise.all([
    db.journey.findFirst({ where: { id: input.journeyId, workspaceId: input.workspaceId }, select: { id: true, name: true, status: true, liveVersion: true } }),
    db.profile.findFirst({ where: { id: input.profileId, workspaceId: input.workspaceId }, select: { id: true, userId: true, email: true, traits: true } }),
  ]);
  if (!journey) throw new DomainError("NOT_FOUND", "This journey does not exist (it may have been deleted).");
  if (!profile) throw new DomainError("NOT_FOUND", "This person does not exist (they may have been deleted, or merged into another profile).");
  const label = personLabel(profile);
  const base = { journey: { id: journey.id, name: journey.name, status: journey.status }, person: { id: profile.id, primary: label.primary, secondary: label.secondary } };

  const versions = await db.journeyVersion.findMany({ where: { journeyId: journey.id }, orderBy: { version: "desc" }, select: { version: true, definition: true, publishedAt: true } });
  const live = versions.find((v) => v.version === journey.liveVersion) ?? versions[0];
  const liveDef = live ? parseDefinition(live.definition) : null;
  if (!live || !liveDef) {
    if (input.nodeId) throw new DomainError("NOT_FOUND", "This journey has not been published yet, so none of its steps has run.");
    return { ...base, node: null, outcome: "not_entered", answer: "This journey has not been published yet, so nobody is in it. Once it is, people who meet its trigger enter.", details: [], branch: null, enrollmentId: null, deliveryId: null };
  }
  const defs = [liveDef, ...versions.filter((v) => v !== live).map((v) => parseDefinition(v.definition))];
  const labels = labeler(defs, await templateNamesOf(db, input.workspaceId, defs));

  // The message asked about, or the journey's only one.
  let node: JourneyNode | null = null;
  if (input.nodeId) {
    node = labels.node(input.nodeId);
    if (!node) throw new DomainError("NOT_FOUND", "This step is not in any published version of the journey.");
    if (!MESSAGE_KINDS.has(node.kind)) throw new DomainError("BAD_REQUEST", "Choose a step that sends a message or calls a webhook.");
  } else {
    const messages = liveDef.nodes.filter((n) => MESSAGE_KINDS.has(n.kind));
    if (messages.length === 1) node = messages[0]!;
  }
  const nodeOut = node ? { id: node.id, label: labels.label(node.id)! } : null;
  const what = node ? `the ${messageWord(node)} “${labels.message(node.id)}”` : "this journey's messages";

  const [enrollments, deliveries, entries] = await Promise.all([
    db.journeyEnrollment.findMany({
      where: { journeyId: journey.id, profileId: profile.id, workspaceId: input.workspaceId },
      orderBy: [{ enteredAt: "desc" }, { id: "desc" }],
      take: 100,
      select: { id: true, version: true, status: true, nodeId: true, state: true, holdout: true, correlationKey: true, enteredAt: true, endedAt: true, exitReason: true, wakeAt: true, waitingFor: true, triggerEvent: true },
    }),
    db.delivery.findMany({
      where: { journeyId: journey.id, profileId: profile.id, workspaceId: input.workspaceId, ...(node ? { nodeId: node.id } : {}) },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: 100,
      select: DELIVERY_SELECT,
    }),
    db.journeyEntry.findMany({ where: { journeyId: journey.id, profileId: profile.id }, orderBy: { lastEnteredAt: "desc" } }),
  ]);

  const statusLines: string[] = [];
  if (journey.status === "paused") statusLines.push("The journey is paused: nobody enters or moves on, and no messages go out until it is resumed.");
  if (journey.status === "archived") statusLines.push("The journey is archived: nobody new enters.");

  const story = await triggerStory(db, { workspaceId: input.workspaceId, journeyId: journey.id, def: liveDef, publishedAt: live.publishedAt, profileId: profile.id, enrollments, entries, now });

  if (enrollments.length === 0) {
    return { ...base, node: nodeOut, outcome: "not_entered", answer: story.headline ?? "They never entered this journey.", details: [...story.lines, ...statusLines], branch: null, enrollmentId: null, deliveryId: null };
  }

  const latest = enrollments[0]!;
  const entered = (e: EnrollmentRow) => `They entered on ${iso(e.enteredAt)} (version ${e.version})${enrollments.length > 1 ? `; ${enrollments.length} times in all` : ""}.`;
  const result = ({ before = [], details = [], ...r }: Pick<WhyNotAnswer, "outcome" | "answer"> & Partial<WhyNotAnswer> & { before?: string[] }): WhyNotAnswer => ({
    ...base,
    node: nodeOut,
    branch: null,
    enrollmentId: latest.id,
    deliveryId: null,
    ...r,
    details: [...before, ...details, ...story.lines, ...statusLines],
  });

  if (!node) {
    // The journey's messages in general: where they are, and each send.
    const position = await positionText(db, latest, liveDef, labels, journey.status);
    const sent = deliveries.filter((d) => d.status === "sent" || d.status === "delivered");
    const lines = deliveries.slice(0, 10).map((d) => `${labels.label(d.nodeId) ?? "A message"} (${messageWord(null, d.channel)}): ${lowerFirst(deliverySummary(d, now))}${d.reason && d.status !== "sent" ? ` — ${d.reason}` : ""}`);
    return result({
      outcome: sent.length > 0 ? "sent" : latest.status === "active" ? "pending" : "not_sent",
      answer: sent.length > 0 ? `They got ${sent.length === 1 ? "one message" : `${sent.length} messages`} from this journey. ${position}` : deliveries.length > 0 ? `None of this journey's messages reached them yet. ${position}` : `No message of this journey was due for them yet. ${position}`,
      before: [entered(latest)],
      details: lines,
      deliveryId: deliveries[0]?.id ?? null,
    });
  }

  // A delivery for this message: what became of it.
  const sent = deliveries.find((d) => d.status === "sent" || d.status === "delivered");
  if (sent) {
    const lines = deliveries.filter((d) => d !== sent && d.createdAt > sent.createdAt).map((d) => `Later, on ${iso(d.createdAt)}: ${lowerFirst(deliverySummary(d, now))}${d.reason ? ` — ${d.reason}` : ""}`);
    return result({
      outcome: "sent",
      answer: `They got it: ${what} was sent on ${iso(sent.sentAt ?? sent.updatedAt)}${sent.attempts > 1 ? ` (after ${sent.attempts} attempts)` : ""}.`,
      before: [entered(enrollments.find((e) => e.id === sent.enrollmentId) ?? latest)],
      details: lines,
      enrollmentId: sent.enrollmentId ?? latest.id,
      deliveryId: sent.id,
    });
  }
  const last = deliveries[0];
  if (last) {
    const of = enrollments.find((e) => e.id === last.enrollmentId) ?? latest;
    return result({ ...deliveryAnswer(last, of, journey.status, now), before: [entered(of), `It was queued on ${iso(last.createdAt)}.`], enrollmentId: of.id, deliveryId: last.id });
  }

  // No send of this message: where their path went instead.
  const def = parseDefinition(versions.find((v) => v.version === latest.version)?.definition) ?? liveDef;
  const state = latest.state as Partial<EnrollmentState> | null;
  const steps = await db.journeyStep.findMany({ where: { enrollmentId: latest.id }, orderBy: { step: "asc" }, take: 1_000, select: { decisions: true } });
  const path = steps.flatMap((s) => decisionsOf(s.decisions));
  const away = turnedAway(def, path, node.id);
  const branch = away ? { nodeId: away.nodeId, nodeLabel: labels.label(away.nodeId), decisions: withConditions(away.decisions, labels) } : null;
  const awayNode = away ? def.nodes.find((n) => n.id === away.nodeId) : undefined;
  const position = await positionText(db, latest, def, labels, journey.status);

  if (latest.holdout && awayNode?.kind === "split") {
    return result({ outcome: "not_sent", answer: `They did not get it on purpose: at “${branch!.nodeLabel}” they fell into the holdout arm, which gets no messages, so the journey's lift can be measured.`, before: [entered(latest)], details: [position], branch });
  }
  if (latest.status === "active") {
    if (latest.nodeId && reaches(def, latest.nodeId, node.id) && !away) {
      return result({ outcome: "pending", answer: `Not yet: ${lowerFirst(position)} This message may come later on their path.`, before: [entered(latest)] });
    }
    return result({
      outcome: "not_sent",
      answer: away ? `They will not get it this time: at “${branch!.nodeLabel}” their path went another way (${away.decisions.map((d) => d.text.replace(/\.$/, "")).join("; ")}).` : `They will not get it this time: ${lowerFirst(position)} No path from there leads to this message.`,
      before: [entered(latest)],
      details: away ? [position] : [],
      branch,
    });
  }
  if ((state?.visits?.[node.id] ?? 0) > 0) {
    return result({ outcome: "not_sent", answer: "Their path reached this step, but no send was recorded for it.", before: [entered(latest)], details: [position] });
  }
  const ending = latest.exitReason ? (ENDINGS[latest.exitReason] ?? latest.exitReason) : "Their way through the journey ended.";
  if (away) {
    return result({
      outcome: "not_sent",
      answer: `Their path did not lead to this message: at “${branch!.nodeLabel}” they went another way (${away.decisions.map((d) => d.text.replace(/\.$/, "")).join("; ")}).`,
      before: [entered(latest)],
      details: [position],
      branch,
    });
  }
  if (latest.exitReason && latest.exitReason !== "completed" && latest.exitReason !== "no_path") {
    return result({ outcome: "not_sent", answer: `They left the journey before this step: ${lowerFirst(ending)}`, before: [entered(latest)], details: [position] });
  }
  return result({ outcome: "not_sent", answer: `Their path did not reach this step: ${lowerFirst(ending)}`, before: [entered(latest)], details: [position] });
}

/** Where an enrollment is: waiting at a step (until when, for what), or out and why. */
async function positionText(db: DbTx, e: EnrollmentRow, def: JourneyDefinition, labels: Labeler, journeyStatus: string): Promise<string> {
  if (e.status === "active") {
    if (!e.nodeId) return "They just entered; their first step runs in a moment.";
    const at = `“${labels.label(e.nodeId)}”`;
    const paused = journeyStatus === "paused" ? " (the journey is paused, so they stay there until it resumes)" : "";
    if (e.waitingFor) return `They are waiting at ${at} for ${e.waitingFor}${e.wakeAt ? `, at most until ${iso(e.wakeAt)}` : ""}${paused}.`;
    if (e.wakeAt) return `They are waiting at ${at} until ${iso(e.wakeAt)}${paused}.`;
    return `They are at ${at}${paused}.`;
  }
  const end = e.exitReason ? (ENDINGS[e.exitReason] ?? e.exitReason) : "Their way through the journey ended.";
  const last = await db.journeyStep.findFirst({ where: { enrollmentId: e.id }, orderBy: { step: "desc" }, select: { nodeId: true } });
  const where = last?.nodeId && def.nodes.some((n) => n.id === last.nodeId) ? ` at “${labels.label(last.nodeId)}”` : "";
  return `They left the journey${where} on ${iso(e.endedAt ?? e.enteredAt)}: ${lowerFirst(end)}`;
}

/** What became of one delivery, as the answer. */
function deliveryAnswer(d: DeliveryRow, e: EnrollmentRow, journeyStatus: string, now: Date): Pick<WhyNotAnswer, "outcome" | "answer"> & { details?: string[] } {
  const reason = d.reason ?? "";
  switch (d.status as DeliveryStatus) {
    case "queued":
      if (journeyStatus === "paused") return { outcome: "pending", answer: "Not yet: the journey is paused, and this message goes out when it is resumed." };
      if (reason.startsWith("Held") && d.nextAttemptAt) return { outcome: "pending", answer: `Not yet: ${lowerFirst(reason)}` };
      if (d.attempts > 0 && reason) return { outcome: "pending", answer: `Not yet: ${lowerFirst(reason)}` };
      return { outcome: "pending", answer: `Not yet: it is queued and goes out ${d.nextAttemptAt && d.nextAttemptAt.getTime() > now.getTime() ? `at ${iso(d.nextAttemptAt)}` : "in a moment"}.` };
    case "sending":
      return { outcome: "pending", answer: "It is being sent right now." };
    case "suppressed": {
      if (e.holdout && /holdout/i.test(reason)) return { outcome: "not_sent", answer: "They did not get it on purpose: they are in the split's holdout arm, which gets no messages, so the journey's lift can be measured." };
      const m = /^Not sent: (.*)$/s.exec(reason);
      return { outcome: "not_sent", answer: m ? `Not sent: ${lowerFirst(m[1]!)}` : reason ? `Not sent: ${lowerFirst(reason)}` : "It was not sent." };
    }
    case "failed": {
      const m = /^Failed after (\d+) attempts: (.*)$/s.exec(reason);
      const answer = m ? `It could not be sent after ${m[1]} attempts: ${lowerFirst(m[2]!)}` : `It could not be sent${d.attempts > 1 ? ` after ${d.attempts} attempts` : ""}${reason ? `: ${lowerFirst(reason)}` : "."}`;
      return { outcome: "not_sent", answer, details: ["It is on the dead-letter list (Deliveries, status failed), where it can be retried."] };
    }
    case "unknown":
      return { outcome: "unknown", answer: `It may or may not have arrived. ${reason}`.trim(), details: ["It can be retried from Deliveries — only if you are sure it did not arrive."] };
    case "bounced":
      return { outcome: "not_sent", answer: `It bounced${reason ? `: ${reason}` : "."}` };
    default:
      return { outcome: "sent", answer: `It was ${d.status}.` };
  }
}

// ——— The trigger: did they meet it, and was anything refused? ———

interface Story {
  /** Why they never entered (when they did not). */
  headline: string | null;
  /** Triggers that did not let them in (again), newest first. */
  lines: string[];
}

function reentryText(def: JourneyDefinition, key: string): string {
  const r = def.settings.reentry;
  const per = key ? ` per ${correlationKeyOf(def) ?? "key"} (${key})` : "";
  if (r.mode === "never") return `this journey lets each person in only once${per}`;
  if (r.mode === "after") return `this journey lets people in again only ${formatDuration(r.after)} after their last entry${per}`;
  return "this journey lets people in again whenever they meet the trigger";
}

function correlationKeyOf(def: JourneyDefinition): string | null {
  const t = triggerOf(def);
  return t?.type === "event" ? (t.correlationKey ?? null) : null;
}

/**
 * Why a trigger at `at` (correlation `key`) did not let them in, judged from the enrollments
 * and entries recorded: already inside, the re-entry rule, the cap on people inside, or not
 * processed yet. `own` are enrollments this very trigger might have made (not counted against it).
 */
function refusal(input: { at: Date; key: string; def: JourneyDefinition; enrollments: EnrollmentRow[]; entries: { correlationKey: string; firstEnteredAt: Date; lastEnteredAt: Date; entries: number }[]; now: Date }): string {
  const { at, key, def } = input;
  const same = input.enrollments.filter((e) => e.correlationKey === key && e.enteredAt.getTime() <= at.getTime() + 1_000);
  const inside = same.find((e) => e.endedAt === null || e.endedAt.getTime() > at.getTime());
  if (inside) return `${ENROLL_REFUSALS.inside.replace(/\.$/, "")}: they had been in it since ${iso(inside.enteredAt)}.`;
  const entry = input.entries.find((x) => x.correlationKey === key);
  const before = same[0] ?? null;
  const reentry = def.settings.reentry;
  const blocked = before && (reentry.mode === "never" || (reentry.mode === "after" && at.getTime() - before.enteredAt.getTime() < durationMs(reentry.after)));
  if (blocked) {
    const first = entry?.firstEnteredAt ?? same.at(-1)!.enteredAt;
    const count = entry?.entries ?? same.length;
    return `${ENROLL_REFUSALS.reentry.replace(/: they entered before\.$/, "")}: they first entered on ${iso(first)}${count > 1 ? ` and have entered ${times(count)}` : ""}, and ${reentryText(def, key)}.`;
  }
  if (input.now.getTime() - at.getTime() < 60_000) return "It happened moments ago and may still be being processed.";
  if (def.settings.maxConcurrent !== undefined) return ENROLL_REFUSALS.capacity;
  return "It was not taken in: the journey may have been paused at the time.";
}

/** A stored event as the trigger rules read it. */
type StoredEvent = EvalEvent & { id: bigint; receivedAt: Date };

/** Why a matching-by-name event did not pass an event trigger, as specifically as the filters allow. */
function eventReason(trigger: EventTrigger, event: StoredEvent, history: EvalEvent[]): string | null {
  const verdict = eventTriggerVerdict(trigger, event, history);
  if (!verdict.enrolls) {
    if (trigger.filters.length > 0 && !eventMatches(event, trigger.event, trigger.filters)) {
      const failed = trigger.filters.filter((f) => !eventMatches(event, trigger.event, [f]));
      const parts = failed.map((f) => `${f.path} was ${valueText(pathGetter(f.path)(event.properties))} (the trigger's filter: ${filterText(f)})`);
      return `Its properties did not pass the trigger's filters: ${parts.join("; ")}.`;
    }
    return verdict.reason;
  }
  if (trigger.correlationKey && correlationOf(event, trigger.correlationKey) === null) {
    return `It had no ${trigger.correlationKey}, and this journey takes people in once per ${trigger.correlationKey}.`;
  }
  return null;
}

function valueText(value: unknown): string {
  if (value === undefined) return "missing";
  return typeof value === "string" ? `“${value}”` : JSON.stringify(value);
}

function filterText(f: PropertyFilter): string {
  return describeNode({ type: "trait", id: "f", field: f.path, valueType: f.valueType, operator: f.operator } as SegmentNode);
}

async function triggerStory(
  db: DbTx,
  input: {
    workspaceId: string;
    journeyId: string;
    def: JourneyDefinition;
    publishedAt: Date;
    profileId: string;
    enrollments: EnrollmentRow[];
    entries: { correlationKey: string; firstEnteredAt: Date; lastEnteredAt: Date; entries: number }[];
    now: Date;
  },
): Promise<Story> {
  const { def, publishedAt, enrollments, now } = input;
  const trigger = triggerOf(def);
  const live = `the journey went live on ${iso(publishedAt)}`;
  const refuse = (at: Date, key: string) => refusal({ at, key, def, enrollments, entries: input.entries, now });
  if (!trigger) return { headline: "This journey has no trigger, so nobody enters it.", lines: [] };

  if (trigger.type === "event") {
    const name = trigger.event ?? "";
    const rows = await db.event.findMany({
      where: { workspaceId: input.workspaceId, profileId: input.profileId, name },
      orderBy: [{ timestamp: "desc" }, { id: "desc" }],
      take: 500,
      select: { id: true, name: true, properties: true, timestamp: true, receivedAt: true },
    });
    const events: StoredEvent[] = rows.map((r) => ({ id: r.id, name: r.name, properties: (r.properties ?? {}) as Record<string, unknown>, timestamp: r.timestamp, receivedAt: r.receivedAt }));
    // Journeys do not reach back: only events stored once the live version was published count.
    const since = events.filter((e) => e.receivedAt.getTime() >= publishedAt.getTime());
    const earlier = events.filter((e) => e.receivedAt.getTime() < publishedAt.getTime());
    if (since.length === 0) {
      return {
        headline: `They have not performed ${name} since ${live}, so they never entered.`,
        lines: earlier.length > 0 ? [`They performed it ${times(earlier.length)} before that (last on ${iso(earlier[0]!.timestamp)}); a journey does not reach back to events from before it went live.`] : [],
      };
    }
    const judged = since.map((e) => {
      const reason = eventReason(trigger, e, events);
      return { event: e, reason, key: reason === null && trigger.correlationKey ? (correlationOf(e, trigger.correlationKey) ?? "") : "" };
    });
    const passing = judged.filter((j) => j.reason === null);
    // Enrollments name the event that made them (trigger_event): a passing event without one was turned away.
    const madeBy = (e: StoredEvent) =>
      enrollments.some((en) => {
        const t = en.triggerEvent as { name?: unknown; timestamp?: unknown; properties?: unknown } | null;
        return t?.name === e.name && typeof t.timestamp === "string" && new Date(t.timestamp).getTime() === e.timestamp.getTime() && JSON.stringify(t.properties ?? {}) === JSON.stringify(e.properties);
      });
    const refused = passing.filter((j) => !madeBy(j.event));
    if (enrollments.length === 0) {
      if (passing.length === 0) {
        const newest = judged[0]!;
        return {
          headline: `They performed ${name} ${times(since.length)} since ${live}, but ${since.length === 1 ? "it did not pass" : "none of those passed"} the trigger, so they never entered.`,
          lines: [`The last time, on ${iso(newest.event.timestamp)}: ${lowerFirst(newest.reason ?? "")}`],
        };
      }
      const j = refused[0] ?? passing[0]!;
      return { headline: `They performed ${name} on ${iso(j.event.timestamp)}, which meets the trigger, but they were not let in: ${lowerFirst(refuse(j.event.receivedAt, j.key))}`, lines: [] };
    }
    return {
      headline: null,
      lines: refused
        .slice(0, 3)
        .map((j) => `On ${iso(j.event.timestamp)} they performed ${name} again, but were not let in: ${lowerFirst(refuse(j.event.receivedAt, j.key))}`),
    };
  }

  if (trigger.type === "segment_entered" || trigger.type === "segment_exited") {
    const entering = trigger.type === "segment_entered";
    const segment = trigger.segmentId ? await db.segment.findFirst({ where: { id: trigger.segmentId, workspaceId: input.workspaceId }, select: { id: true, name: true } }) : null;
    if (!segment) return { headline: "The segment this journey starts from no longer exists, so nobody enters it.", lines: [] };
    const [changes, member] = await Promise.all([
      db.segmentMembershipChange.findMany({ where: { segmentId: segment.id, profileId: input.profileId, entered: entering }, orderBy: { id: "desc" }, take: 100, select: { at: true } }),
      db.segmentMembership.findUnique({ where: { segmentId_profileId: { segmentId: segment.id, profileId: input.profileId } }, select: { exitedAt: true } }),
    ]);
    const inNow = member !== null && member.exitedAt === null;
    const verb = entering ? "entered" : "left";
    const since = changes.filter((c) => c.at.getTime() >= publishedAt.getTime());
    if (since.length === 0) {
      const before = changes.length > 0 ? ` They ${verb} it on ${iso(changes[0]!.at)}, before the journey went live; only ${entering ? "entering" : "leaving"} after that counts.` : "";
      return { headline: `They have not ${verb} the segment “${segment.name}” since ${live}, so they never entered. They are ${inNow ? "" : "not "}in it now.${before}`, lines: [] };
    }
    // A change is taken in by the enrollment that started at or after it, before the next change.
    const refused = since.filter((c, i) => {
      const until = i > 0 ? since[i - 1]!.at.getTime() : Number.POSITIVE_INFINITY;
      return !enrollments.some((en) => en.enteredAt.getTime() >= c.at.getTime() && en.enteredAt.getTime() < until);
    });
    if (enrollments.length === 0) {
      const c = refused[0] ?? since[0]!;
      return { headline: `They ${verb} the segment “${segment.name}” on ${iso(c.at)}, which meets the trigger, but they were not let in: ${lowerFirst(refuse(c.at, ""))}`, lines: [] };
    }
    return { headline: null, lines: refused.slice(0, 3).map((c) => `On ${iso(c.at)} they ${verb} “${segment.name}” again, but were not let in: ${lowerFirst(refuse(c.at, ""))}`) };
  }

  if (trigger.type === "schedule") {
    const [schedule, segment] = await Promise.all([
      db.journeySchedule.findUnique({ where: { journeyId: input.journeyId }, select: { lastRunAt: true, nextRunAt: true } }),
      trigger.segmentId ? db.segment.findFirst({ where: { id: trigger.segmentId, workspaceId: input.workspaceId }, select: { id: true, name: true } }) : null,
    ]);
    const member = segment ? await db.segmentMembership.findUnique({ where: { segmentId_profileId: { segmentId: segment.id, profileId: input.profileId } }, select: { exitedAt: true } }) : null;
    const inNow = member !== null && member.exitedAt === null;
    const runs = schedule?.lastRunAt ? `It last ran on ${iso(schedule.lastRunAt)}` : "It has not run yet";
    const next = schedule?.nextRunAt ? `; next on ${iso(schedule.nextRunAt)}` : "";
    const who = segment ? `, taking in the people in the segment “${segment.name}” then` : "";
    const lines = segment ? [`They are ${inNow ? "" : "not "}in “${segment.name}” now.`] : [];
    if (enrollments.length === 0) return { headline: `People enter this journey when its schedule runs${who}. ${runs}${next}, and it did not take them in.`, lines };
    return { headline: null, lines: [] };
  }

  // The enroll API.
  if (enrollments.length === 0) return { headline: "People enter this journey only through the enroll API, and it has not been called for them.", lines: [] };
  return { headline: null, lines: [] };
}

// ——— Lift: holdout against the people who got the messages ———

export interface LiftGroup {
  people: number;
  converted: number;
  /** converted ÷ people; null when nobody is in the group. */
  rate: number | null;
}

export interface JourneyLift {
  /** A published version has a split with a holdout arm. */
  hasHoldout: boolean;
  /** The live version has a goal (without one nobody converts). */
  hasGoal: boolean;
  /** People who fell into a holdout arm. */
  holdout: LiftGroup;
  /** People who passed such a split into an arm that gets the messages. */
  messaged: LiftGroup;
  /** People who have not passed the split — not yet, or never (they left before it): counted in neither group. */
  notYetSplit: number;
  /**
   * Messaged rate − holdout rate, in percentage points, with its 95% confidence interval;
   * null until both groups have people.
   */
  difference: { points: number; low: number; high: number } | null;
  /** How the interval is computed. */
  method: "Newcombe hybrid score (Wilson)";
}

const Z95 = 1.959963984540054;

/** Wilson's score interval for x of n (n > 0). */
function wilson(x: number, n: number, z = Z95): [number, number] {
  const p = x / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/**
 * The 95% interval of p1 − p2 (x1 of n1 against x2 of n2) by Newcombe's hybrid score method
 * (method 10 in Newcombe 1998, "Interval estimation for the difference between independent
 * proportions"): each proportion's Wilson score interval, combined. Unlike the simple Wald
 * interval it keeps its coverage with small groups and rates near 0 or 1 — journeys' holdouts
 * are often small and their conversion rates low. Null when a group is empty.
 */
export function differenceInterval(x1: number, n1: number, x2: number, n2: number): { difference: number; low: number; high: number } | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const [l1, u1] = wilson(x1, n1);
  const [l2, u2] = wilson(x2, n2);
  const d = p1 - p2;
  return { difference: d, low: d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), high: d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2) };
}

const toNumber = (v: bigint | number | null | undefined) => (v === null || v === undefined ? 0 : Number(v));

export async function journeyLift(db: DbTx, input: { workspaceId: string; journeyId: string }): Promise<JourneyLift> {
  const journey = await db.journey.findFirst({ where: { id: input.journeyId, workspaceId: input.workspaceId }, select: { id: true, liveVersion: true } });
  if (!journey) throw new DomainError("NOT_FOUND", "This journey does not exist (it may have been deleted).");
  const versions = await db.journeyVersion.findMany({ where: { journeyId: journey.id }, orderBy: { version: "desc" }, select: { version: true, definition: true } });
  const defs = versions.map((v) => ({ version: v.version, def: parseDefinition(v.definition) }));
  const splits = [...new Set(defs.flatMap((d) => (d.def?.nodes ?? []).flatMap((n) => (n.kind === "split" && n.arms.some((a) => a.holdout) ? [n.id] : []))))];
  const liveDef = defs.find((d) => d.version === journey.liveVersion)?.def ?? defs[0]?.def ?? null;
  const empty: LiftGroup = { people: 0, converted: 0, rate: null };
  const out: JourneyLift = { hasHoldout: splits.length > 0, hasGoal: Boolean(liveDef?.settings.goal), holdout: empty, messaged: { ...empty }, notYetSplit: 0, difference: null, method: "Newcombe hybrid score (Wilson)" };
  if (splits.length === 0) return out;

  // Who passed a split with a holdout arm: holdout, or visited such a split (state.visits) and went on into a messaged arm.
  const [row] = await db.$queryRaw<{ holdout: bigint; holdout_converted: bigint; messaged: bigint; messaged_converted: bigint; before: bigint }[]>`
    SELECT count(*) FILTER (WHERE holdout) AS holdout,
           count(converted_at) FILTER (WHERE holdout) AS holdout_converted,
           count(*) FILTER (WHERE NOT holdout AND split) AS messaged,
           count(converted_at) FILTER (WHERE NOT holdout AND split) AS messaged_converted,
           count(*) FILTER (WHERE NOT holdout AND NOT split) AS before
      FROM (SELECT holdout, converted_at, COALESCE(jsonb_typeof(state -> 'visits') = 'object' AND (state -> 'visits') ?| ${splits}::text[], false) AS split
              FROM journey_enrollments
             WHERE journey_id = ${journey.id} AND workspace_id = ${input.workspaceId}) e`;
  const group = (people: number, converted: number): LiftGroup => ({ people, converted, rate: people > 0 ? converted / people : null });
  out.holdout = group(toNumber(row?.holdout), toNumber(row?.holdout_converted));
  out.messaged = group(toNumber(row?.messaged), toNumber(row?.messaged_converted));
  out.notYetSplit = toNumber(row?.before);
  const ci = differenceInterval(out.messaged.converted, out.messaged.people, out.holdout.converted, out.holdout.people);
  out.difference = ci ? { points: ci.difference * 100, low: ci.low * 100, high: ci.high * 100 } : null;
  return out;
}
