import { z } from "zod";
import { ZMessageChannel } from "@/lib/messages/schema";
import { PATH_PATTERN, ZPropertyFilter, ZSegmentDefinition } from "@/lib/segments/schema";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";

/**
 * The journey definition: a graph of nodes joined by edges from a node's named exit to the
 * next node. A draft is what the canvas saves — it may be unfinished (a send without a
 * template, an exit without an edge); `lib/journeys/graph.ts` says what is missing, by node,
 * and turns a complete draft into the executable form a version freezes.
 */

export const JOURNEY_SCHEMA_VERSION = 1;

export const JOURNEY_LIMITS = { nodes: 300, edges: 600, cases: 20, arms: 10, filters: 20, nameLength: 120 } as const;

const storable = { message: UNSTORABLE_MESSAGE };
const ZText = (max: number) => z.string().max(max, { message: `must be at most ${max} characters` }).regex(STORABLE, storable);
const ZId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, { message: "must be 1–40 letters, digits, - or _" });
const ZRefId = z.string().min(1).max(64).regex(STORABLE, storable);
const ZEventName = z.string().trim().min(1, { message: "is required" }).max(200).regex(STORABLE, storable);

export const DURATION_UNITS = ["minutes", "hours", "days", "weeks"] as const;
export const ZDuration = z.object({ amount: z.number().int().min(1).max(100_000), unit: z.enum(DURATION_UNITS) });
export type Duration = z.infer<typeof ZDuration>;
export const DURATION_MS: Record<Duration["unit"], number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000, weeks: 604_800_000 };
export const durationMs = (d: Duration) => d.amount * DURATION_MS[d.unit];

/** "properties.orderId": one person may be in the journey once per value. */
const ZCorrelationKey = z.string().regex(/^properties\.[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}){0,5}$/, {
  message: "must be a path into the event, like properties.orderId",
});

// ——— Triggers ———

export const ZTrigger = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("event"),
    event: ZEventName.optional(),
    filters: z.array(ZPropertyFilter).max(JOURNEY_LIMITS.filters).default([]),
    /** "At least N times within T" (N ≥ 2); absent: the first time is enough. */
    count: z.object({ atLeast: z.number().int().min(2).max(1_000), within: ZDuration }).optional(),
    correlationKey: ZCorrelationKey.optional(),
  }),
  z.object({ type: z.literal("segment_entered"), segmentId: ZRefId.optional() }),
  z.object({ type: z.literal("segment_exited"), segmentId: ZRefId.optional() }),
  z.object({
    type: z.literal("schedule"),
    segmentId: ZRefId.optional(),
    schedule: z
      .discriminatedUnion("kind", [
        z.object({ kind: z.literal("once"), at: z.iso.datetime({ offset: true }) }),
        /** iCalendar RRULE, in the workspace's time zone ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9"). */
        z.object({ kind: z.literal("recurring"), rrule: z.string().regex(/^FREQ=(DAILY|WEEKLY|MONTHLY)(;[A-Z]+=[A-Z0-9,+-]+)*$/, { message: "must be an RRULE like FREQ=WEEKLY;BYDAY=MO;BYHOUR=9" }) }),
      ])
      .optional(),
  }),
  z.object({ type: z.literal("api") }),
]);
export type Trigger = z.infer<typeof ZTrigger>;

// ——— Nodes ———

const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6] as const;

export const ZWait = z.discriminatedUnion("type", [
  z.object({ type: z.literal("duration"), duration: ZDuration.optional() }),
  /** Until a local time on chosen weekdays (0 = Sunday), in the person's time zone (else the workspace's). */
  z.object({
    type: z.literal("time_of_day"),
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "must be a time like 09:30" }).optional(),
    weekdays: z.array(z.number().int().min(0).max(6)).min(1, { message: "needs at least one day" }).max(7).default([...WEEKDAYS]),
  }),
  /** Until a date trait (a birthday, a renewal date) plus or minus an offset. */
  z.object({
    type: z.literal("date_trait"),
    trait: z.string().regex(PATH_PATTERN, { message: "must be a trait name" }).optional(),
    offset: z.object({ sign: z.enum(["before", "after"]), duration: ZDuration }).optional(),
  }),
  /** Until an event (matched on the journey's correlation key when there is one) or a timeout: two exits. */
  z.object({
    type: z.literal("event"),
    event: ZEventName.optional(),
    filters: z.array(ZPropertyFilter).max(JOURNEY_LIMITS.filters).default([]),
    timeout: ZDuration.optional(),
  }),
]);
export type Wait = z.infer<typeof ZWait>;

const ZPosition = z.object({ x: z.number().finite(), y: z.number().finite() });
const base = { id: ZId, position: ZPosition.default({ x: 0, y: 0 }), label: ZText(JOURNEY_LIMITS.nameLength).optional() };

export const ZBranchCase = z.object({ id: ZId, name: ZText(80), condition: ZSegmentDefinition.optional() });
export const ZSplitArm = z.object({ id: ZId, name: ZText(80), percent: z.number().int().min(0).max(100), holdout: z.boolean().default(false) });

export const ZJourneyNode = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("trigger"), trigger: ZTrigger }),
  z.object({ ...base, kind: z.literal("wait"), wait: ZWait }),
  z.object({ ...base, kind: z.literal("branch"), cases: z.array(ZBranchCase).max(JOURNEY_LIMITS.cases) }),
  z.object({ ...base, kind: z.literal("split"), arms: z.array(ZSplitArm).max(JOURNEY_LIMITS.arms) }),
  z.object({
    ...base,
    kind: z.literal("send"),
    channel: ZMessageChannel.optional(),
    templateId: ZRefId.optional(),
    /** Email: which of the channel's senders. */
    sender: z.number().int().min(0).max(19).optional(),
    /** A send that fails for good: go on with the journey, or leave it. */
    onFailure: z.enum(["continue", "exit"]).default("continue"),
  }),
  z.object({
    ...base,
    kind: z.literal("update"),
    trait: z.string().regex(PATH_PATTERN, { message: "must be a trait name" }).optional(),
    op: z.enum(["set", "increment", "unset"]).default("set"),
    value: z.union([z.string().max(500).regex(STORABLE, storable), z.number().finite(), z.boolean(), z.null()]).optional(),
  }),
  z.object({ ...base, kind: z.literal("webhook"), channelId: ZRefId.optional(), templateId: ZRefId.optional() }),
  z.object({ ...base, kind: z.literal("exit") }),
]);
export type JourneyNode = z.infer<typeof ZJourneyNode>;
export type NodeKind = JourneyNode["kind"];

/** An edge leaves a node by one of its exits (`exitsOf`) and goes to another node. */
export const ZJourneyEdge = z.object({ id: ZId, from: ZId, exit: ZId, to: ZId });
export type JourneyEdge = z.infer<typeof ZJourneyEdge>;

// ——— Settings ———

const ZGoalOrExit = z.discriminatedUnion("type", [
  z.object({ type: z.literal("event"), event: ZEventName.optional(), filters: z.array(ZPropertyFilter).max(JOURNEY_LIMITS.filters).default([]) }),
  z.object({ type: z.literal("segment"), segmentId: ZRefId.optional() }),
]);

export const LIFECYCLE_PHASES = ["awareness", "consideration", "purchase", "retention", "advocacy"] as const;

export const ZJourneySettings = z.object({
  /** Reaching it ends the enrollment and counts as a conversion, within the window. */
  goal: ZGoalOrExit.and(z.object({ window: ZDuration.default({ amount: 7, unit: "days" }) })).optional(),
  /** Checked before every step: meeting it leaves the journey. */
  exitCriteria: ZGoalOrExit.optional(),
  reentry: z.discriminatedUnion("mode", [z.object({ mode: z.literal("never") }), z.object({ mode: z.literal("after"), after: ZDuration }), z.object({ mode: z.literal("always") })]).default({ mode: "never" }),
  /** People enrolled at once; more wait outside (not enrolled). */
  maxConcurrent: z.number().int().min(1).max(100_000_000).optional(),
  /** No messages between `start` and `end` in the person's time zone: hold them until it ends, or skip them. */
  quietHours: z
    .object({
      start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "must be a time like 21:00" }),
      end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "must be a time like 08:00" }),
      mode: z.enum(["hold", "skip"]).default("hold"),
    })
    .optional(),
  /** 0–10 (absent: 5). Of messages due together for one person under a frequency cap, the higher priority goes first. */
  priority: z.number().int().min(0).max(10).optional(),
  phase: z.enum(LIFECYCLE_PHASES).optional(),
});
export type JourneySettings = z.infer<typeof ZJourneySettings>;

export const ZJourneyDefinition = z.object({
  schemaVersion: z.literal(JOURNEY_SCHEMA_VERSION),
  nodes: z.array(ZJourneyNode).max(JOURNEY_LIMITS.nodes, { message: `a journey has at most ${JOURNEY_LIMITS.nodes} nodes` }),
  edges: z.array(ZJourneyEdge).max(JOURNEY_LIMITS.edges),
  settings: ZJourneySettings.default({ reentry: { mode: "never" } }),
});
export type JourneyDefinition = z.infer<typeof ZJourneyDefinition>;

/** The exits of a node, by name: every one needs an edge before the journey can be published. */
export function exitsOf(node: JourneyNode): { id: string; label: string }[] {
  switch (node.kind) {
    case "trigger":
    case "send":
    case "update":
    case "webhook":
      return [{ id: "next", label: "Next" }];
    case "wait":
      return node.wait.type === "event"
        ? [
            { id: "event", label: "Event happened" },
            { id: "timeout", label: "Timed out" },
          ]
        : [{ id: "next", label: "Next" }];
    case "branch":
      return [...node.cases.map((c) => ({ id: c.id, label: c.name || "Case" })), { id: "else", label: "Everyone else" }];
    case "split":
      return node.arms.map((a) => ({ id: a.id, label: `${a.name} (${a.percent} %)` }));
    case "exit":
      return [];
  }
}

export function emptyJourney(): JourneyDefinition {
  return { schemaVersion: JOURNEY_SCHEMA_VERSION, nodes: [], edges: [], settings: { reentry: { mode: "never" } } };
}
