import { z } from "zod";
import { checkJourney } from "@/lib/journeys/graph";
import { interpret, newEnrollment, type Decision, type Effect, type EnrollmentState, type Wake } from "@/lib/journeys/interpret";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import { subscribedGroups } from "@/lib/consent/schema";
import { renderTemplate, type RenderedContent } from "@/lib/messages/render";
import type { MessageChannel, TemplateContent } from "@/lib/messages/schema";
import { eventVariables, exampleEvent, personVariables } from "@/lib/messages/variables";
import { personLabel } from "@/lib/profiles/display";
import { evaluateCondition, type EvalEvent, type EvalInput } from "@/lib/segments/evaluate";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { findUnstorable, MAX_JSON_DEPTH, STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";
import { linksOf } from "@/server/messages/send";
import type { Db } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { latestVersion } from "@/server/messages/templates";
import { loadPeople } from "@/server/segments/people";
import { journeyReferences } from "./service";

/**
 * Simulation: a person — a real one, or one described by a few traits — walked through a
 * journey (a draft or a version) with simulated time. The clock starts at the real `now`;
 * each step the marketer takes ("advance 24 h", "they perform tariff_result_viewed now")
 * moves it or adds an event, and the interpreter (lib/journeys/interpret.ts) decides what
 * happens, exactly as the runtime will. Timers due within an advance fire in order, at
 * their own times. Sends are rendered with the person's data (lib/messages/render.ts, the
 * path real sends take) and shown, never sent; trait updates change the simulated person
 * only, so later branches see them. Nothing is written: it only reads.
 *
 * Stateless: every call replays the steps from the start (`startedAt` keeps the clock of
 * the first run, so the same steps give the same times).
 */

const DAY = 86_400_000;

export const SIMULATION_LIMITS = {
  /** Steps a marketer can take in one simulation. */
  steps: 50,
  /** One advance at most… */
  advanceMs: 366 * DAY,
  /** …and all of them together. */
  spanMs: 2 * 366 * DAY,
  /** Interpreter runs in one simulation (a 1-minute loop over a year would be half a million). */
  wakes: 500,
  /** How long ago the clock may have started (a tab left open for a week starts again). */
  startedAtAgeMs: 7 * DAY,
} as const;

const ZEventName = z.string().trim().min(1, { message: "is required" }).max(200).regex(STORABLE, { message: UNSTORABLE_MESSAGE });
const ZProperties = z
  .record(z.string().max(200), z.unknown())
  .superRefine((value, ctx) => {
    const problem = findUnstorable(value, MAX_JSON_DEPTH);
    if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    if (JSON.stringify(value).length > 20_000) ctx.addIssue({ code: "custom", message: "must be at most 20,000 characters of JSON" });
  });

export const ZSimulationAction = z.discriminatedUnion("type", [
  /** Time passes: timers due within it fire, in order. */
  z.object({ type: z.literal("advance"), ms: z.number().int().min(60_000, { message: "must be at least a minute" }).max(SIMULATION_LIMITS.advanceMs, { message: "must be at most a year" }) }),
  /** The person performs an event now (simulated now). */
  z.object({ type: z.literal("event"), name: ZEventName, properties: ZProperties.default({}) }),
]);
export type SimulationAction = z.infer<typeof ZSimulationAction>;

export const ZSimulationPerson = z.union([
  z.object({ profileId: z.string().min(1).max(64) }),
  z.object({ userId: z.string().trim().min(1).max(200) }),
  /** A person described by their traits (and past events): built-in fields (email, timezone, country…) are read from the traits of the same name. */
  z.object({
    traits: ZProperties,
    events: z.array(z.object({ name: ZEventName, properties: ZProperties.default({}), at: z.iso.datetime({ offset: true }).optional() })).max(200).default([]),
  }),
]);
export type SimulationPerson = z.infer<typeof ZSimulationPerson>;

export const ZSimulationInput = z.object({
  person: ZSimulationPerson,
  steps: z.array(ZSimulationAction).max(SIMULATION_LIMITS.steps, { message: `at most ${SIMULATION_LIMITS.steps} steps: start again` }).default([]),
  /** The saved journey it belongs to: a split then puts the person in the arm the live journey would. */
  journeyId: z.string().min(1).max(64).optional(),
  /** The clock of an earlier run of the same simulation (its `startedAt`). */
  startedAt: z.iso.datetime({ offset: true }).optional(),
  /** Event triggers: the properties of the event that enrolls the person. */
  triggerProperties: ZProperties.optional(),
});

export interface SimulatedDecision extends Decision {
  /** A branch case's decision: its condition, to explain the trace. */
  condition?: SegmentDefinition;
}

export interface RenderedMessage {
  templateId: string;
  templateName: string;
  version: number;
  channel: MessageChannel;
  output: RenderedContent;
}

/** An effect as the runtime would perform it; a send or webhook with its message as it would render. */
export type SimulatedEffect = Effect & { message?: RenderedMessage; error?: string };

/** Where the person is: waiting at a node (until when, for which event), or out of the journey and why. */
export interface SimulationPosition {
  at: string | null;
  until: string | null;
  waitingFor: string | null;
  ended: { nodeId: string | null; reason: Extract<Effect, { type: "exit" }>["reason"] } | null;
}

export interface SimulationEntry {
  /** The marketer's step that caused it (its index); null: entering the journey. */
  step: number | null;
  /** Simulated time. */
  at: string;
  /** enter / a timer that fired / an event / time passed with nothing due. */
  cause: "enter" | "timer" | "event" | "advance";
  event?: { name: string; properties: Record<string, unknown> };
  /** False: nothing changed (an event the journey does not wait for, a clock with nothing due). */
  applied: boolean;
  /** The nodes passed, in order (for highlighting the path). */
  visited: string[];
  decisions: SimulatedDecision[];
  effects: SimulatedEffect[];
  position: SimulationPosition;
}

export interface SimulationResult {
  /** Where the simulated clock started: pass it back to replay the same steps at the same times. */
  startedAt: string;
  /** The simulated clock after the last step. */
  now: string;
  person: { profileId: string | null; primary: string; secondary: string | null; traits: Record<string, unknown> };
  entries: SimulationEntry[];
  /** Every node passed, in the order first passed. */
  visited: string[];
  position: SimulationPosition;
  /** True when the simulation stopped early (too many timers firing). */
  truncated: boolean;
}

export class SimulationInvalid extends DomainError {
  constructor(readonly issues: { nodeId: string | null; message: string }[]) {
    super("BAD_REQUEST", `The journey cannot be simulated yet: ${issues.length === 1 ? "1 problem" : `${issues.length} problems`} — ${issues.slice(0, 3).map((i) => i.message).join(" ")}${issues.length > 3 ? " …" : ""}`);
  }
}

const text = (value: unknown): string | null => (typeof value === "string" && value.trim() !== "" ? value.trim() : null);

/** The real person (with every named event, their segments and subscriptions) or the described one, as the evaluator reads people. */
async function simulatedPerson(db: Db, workspaceId: string, person: SimulationPerson, start: Date): Promise<EvalInput> {
  if ("traits" in person) {
    const { user_id, email, phone, timezone, locale, country, ...traits } = person.traits;
    const groups = await db.subscriptionGroup.findMany({ where: { workspaceId }, select: { id: true, mode: true } });
    return {
      profile: {
        id: "simulated-person",
        userId: text(user_id),
        email: text(email),
        phone: text(phone),
        timezone: text(timezone),
        locale: text(locale),
        country: text(country),
        traits,
        bucket: 0,
        firstSeenAt: start,
        lastSeenAt: start,
      },
      events: person.events.map((e) => ({ name: e.name, properties: e.properties, timestamp: e.at ? new Date(e.at) : start })),
      memberships: new Set(),
      subscriptions: subscribedGroups(groups, []),
    };
  }
  let profileId: string;
  if ("profileId" in person) profileId = person.profileId;
  else {
    const row = await db.profile.findFirst({ where: { workspaceId, userId: person.userId }, select: { id: true } });
    if (!row) throw new DomainError("NOT_FOUND", `Nobody has the user id “${person.userId}” in this workspace. Choose another person, or describe one.`);
    profileId = row.id;
  }
  const loaded = (await loadPeople(db, workspaceId, { ids: [profileId] })).get(profileId);
  if (!loaded) throw new DomainError("NOT_FOUND", "This person does not exist (they may have been merged or deleted). Choose another person.");
  // What happened up to the start of the clock; the simulation adds what happens after.
  return { ...loaded, profile: { ...loaded.profile, traits: { ...loaded.profile.traits } }, events: loaded.events.filter((e) => e.timestamp.getTime() <= start.getTime()) };
}

/** Sets, increments or removes the trait at a dot path, in place. */
function applyUpdate(traits: Record<string, unknown>, effect: Extract<Effect, { type: "update" }>) {
  if (!effect.trait) return;
  const keys = effect.trait.split(".");
  let target = traits;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      if (effect.op === "unset") return;
      target[key] = {};
    } else target[key] = { ...(next as Record<string, unknown>) };
    target = target[key] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (effect.op === "unset") delete target[last];
  else if (effect.op === "increment") target[last] = (typeof target[last] === "number" ? (target[last] as number) : 0) + (typeof effect.value === "number" ? effect.value : 0);
  else target[last] = effect.value;
}

function positionOf(state: EnrollmentState, effects: Effect[], def: JourneyDefinition, previous: SimulationPosition): SimulationPosition {
  const exit = effects.find((e): e is Extract<Effect, { type: "exit" }> => e.type === "exit");
  if (state.at === null) return { at: null, until: null, waitingFor: null, ended: exit ? { nodeId: exit.nodeId, reason: exit.reason } : previous.ended };
  const node = def.nodes.find((n) => n.id === state.at);
  const waitingFor = state.waitingForEvent && node?.kind === "wait" && node.wait.type === "event" ? (node.wait.event ?? null) : null;
  return { at: state.at, until: state.wakeAt, waitingFor, ended: null };
}

/** The nodes a run passed, in order, from its decisions (each node decides at least once). */
function visitedOf(decisions: Decision[]): string[] {
  const out: string[] = [];
  for (const d of decisions) if (d.nodeId && out.at(-1) !== d.nodeId) out.push(d.nodeId);
  return out;
}

/** Each branch decision with its case's condition, to explain the trace. */
function withCases(def: JourneyDefinition, decisions: Decision[]): SimulatedDecision[] {
  return decisions.map((d) => {
    if (!d.caseId) return d;
    const node = def.nodes.find((n) => n.id === d.nodeId);
    const c = node?.kind === "branch" ? node.cases.find((x) => x.id === d.caseId) : undefined;
    return c ? { ...d, condition: c.condition } : d;
  });
}

export async function simulateJourney(
  db: Db,
  input: {
    workspaceId: string;
    definition: JourneyDefinition;
    person: SimulationPerson;
    steps: SimulationAction[];
    journeyId?: string;
    startedAt?: string;
    triggerProperties?: Record<string, unknown>;
    /** The real clock (tests pin it). */
    now?: Date;
  },
): Promise<SimulationResult> {
  const realNow = input.now ?? new Date();
  const def = input.definition;
  if (input.steps.length > SIMULATION_LIMITS.steps) throw new DomainError("BAD_REQUEST", `A simulation has at most ${SIMULATION_LIMITS.steps} steps: start again.`);
  const span = input.steps.reduce((sum, s) => sum + (s.type === "advance" ? s.ms : 0), 0);
  if (span > SIMULATION_LIMITS.spanMs) throw new DomainError("BAD_REQUEST", "A simulation covers at most two years: start again.");
  const start = input.startedAt ? new Date(input.startedAt) : realNow;
  if (start.getTime() > realNow.getTime() + 60_000 || realNow.getTime() - start.getTime() > SIMULATION_LIMITS.startedAtAgeMs) {
    throw new DomainError("BAD_REQUEST", "This simulation was started too long ago: start it again.");
  }

  const issues = checkJourney(def, await journeyReferences(db, input.workspaceId, def));
  if (issues.length > 0) throw new SimulationInvalid(issues);

  const [workspace, person] = await Promise.all([
    db.workspace.findUnique({ where: { id: input.workspaceId }, select: { defaultTimezone: true } }),
    simulatedPerson(db, input.workspaceId, input.person, start),
  ]);
  const workspaceTimeZone = workspace?.defaultTimezone ?? "UTC";
  const realProfileId = "traits" in input.person ? null : person.profile.id;
  const events = [...person.events];
  const traits = person.profile.traits;
  // The person as the interpreter sees them at each run: their traits and events so far.
  const current = (): EvalInput => ({ ...person, profile: { ...person.profile, traits: structuredClone(traits) }, events });

  // Templates are read once per simulation; what a send renders is what the runtime would send.
  const templates = new Map<string, Promise<{ ok: true; version: Awaited<ReturnType<typeof latestVersion>> } | { ok: false; error: string }>>();
  const templateOf = (id: string) => {
    let found = templates.get(id);
    if (!found) {
      found = latestVersion(db, { workspaceId: input.workspaceId, templateId: id }).then(
        (version) => ({ ok: true as const, version }),
        (error: unknown) => ({ ok: false as const, error: error instanceof DomainError ? error.message : "The message could not be read." }),
      );
      templates.set(id, found);
    }
    return found;
  };

  const trigger = def.nodes.find((n) => n.kind === "trigger");
  const triggerEvent: EvalEvent | undefined =
    trigger?.kind === "trigger" && trigger.trigger.type === "event" && trigger.trigger.event ? { name: trigger.trigger.event, timestamp: start, properties: input.triggerProperties ?? {} } : undefined;

  /** The message of a send (or webhook) effect, rendered for the person as they are now. */
  async function render(effect: Effect, at: Date, wakeEvent: EvalEvent | undefined): Promise<Pick<SimulatedEffect, "message" | "error">> {
    const templateId = effect.type === "send" ? effect.templateId : effect.type === "webhook" ? effect.templateId : undefined;
    if (!templateId) return {};
    const found = await templateOf(templateId);
    if (!found.ok) return { error: found.error };
    const { version } = found;
    const content: TemplateContent = version.content;
    try {
      const latest = [...events].filter((e) => e.name !== null && e.timestamp.getTime() <= at.getTime()).sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime())[0];
      const event = triggerEvent ?? wakeEvent ?? latest;
      const links = linksOf({ workspaceId: input.workspaceId, profileId: realProfileId, groupId: content.subscriptionGroupId, channel: content.channel });
      const result = renderTemplate(
        content,
        {
          person: personVariables({ ...person.profile, traits }),
          event: event ? eventVariables(event) : exampleEvent(at),
          unsubscribe_url: links.unsubscribeUrl,
          preferences_url: links.preferencesUrl,
        },
        version.partials,
      );
      const message: RenderedMessage = { templateId, templateName: version.name, version: version.version, channel: content.channel, output: result.ok ? result.output : {} };
      if (!result.ok) {
        return { message, error: `The message does not render: ${result.errors.map((e) => `${e.field}${e.line ? ` (line ${e.line}, column ${e.column})` : ""}: ${e.message}`).join("; ")}` };
      }
      return { message };
    } catch (error) {
      return { error: `The message could not be rendered: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  let state = newEnrollment(def, start, triggerEvent);
  let clock = start;
  let position: SimulationPosition = { at: null, until: null, waitingFor: null, ended: null };
  let wakes = 0;
  let truncated = false;
  const entries: SimulationEntry[] = [];

  async function run(step: number | null, cause: "enter" | "timer" | "event", wake: Wake, at: Date, event?: EvalEvent) {
    wakes++;
    const result = interpret(def, state, wake, { journeyId: input.journeyId ?? "simulation", now: at, person: current(), workspaceTimeZone });
    const effects: SimulatedEffect[] = [];
    for (const effect of result.effects) {
      effects.push(effect.type === "send" || effect.type === "webhook" ? { ...effect, ...(await render(effect, at, event)) } : effect);
      // The runtime performs updates after the run: a later run (after a wait) sees them.
      if (effect.type === "update") applyUpdate(traits, effect);
    }
    state = result.state;
    position = positionOf(state, result.effects, def, position);
    entries.push({
      step,
      at: at.toISOString(),
      cause,
      ...(event ? { event: { name: event.name ?? "", properties: event.properties } } : {}),
      applied: result.applied,
      visited: result.applied ? visitedOf(result.decisions) : [],
      decisions: withCases(def, result.decisions),
      effects,
      position,
    });
  }

  if (triggerEvent) events.push(triggerEvent);
  await run(null, "enter", { type: "enter", event: triggerEvent }, start, triggerEvent);
  const entry = entries[0]!;
  const note = entryNote(def, person, triggerEvent, start);
  if (note) entry.decisions.unshift({ nodeId: trigger?.id ?? null, text: note });

  for (const [index, step] of input.steps.entries()) {
    if (truncated) break;
    if (step.type === "advance") {
      const target = new Date(clock.getTime() + step.ms);
      let fired = false;
      while (state.at !== null && state.wakeAt !== null && new Date(state.wakeAt).getTime() <= target.getTime()) {
        if (wakes >= SIMULATION_LIMITS.wakes) {
          truncated = true;
          break;
        }
        clock = new Date(Math.max(clock.getTime(), new Date(state.wakeAt).getTime()));
        await run(index, "timer", { type: "timer" }, clock);
        fired = true;
      }
      clock = target;
      if (!fired && !truncated) {
        const waiting = position;
        const text =
          state.at === null
            ? "The person is out of the journey: nothing more happens."
            : waiting.waitingFor
              ? `Still waiting for ${waiting.waitingFor}${waiting.until ? ` (at most until ${waiting.until})` : ""}.`
              : waiting.until
                ? `Nothing is due yet: the wait ends at ${waiting.until}.`
                : "Nothing is due.";
        entries.push({ step: index, at: clock.toISOString(), cause: "advance", applied: false, visited: [], decisions: [{ nodeId: state.at, text }], effects: [], position });
      }
    } else {
      const event: EvalEvent = { name: step.name, timestamp: clock, properties: step.properties };
      events.push(event);
      if (state.at === null) {
        entries.push({
          step: index,
          at: clock.toISOString(),
          cause: "event",
          event: { name: step.name, properties: step.properties },
          applied: false,
          visited: [],
          decisions: [{ nodeId: null, text: `${step.name} is recorded for the person; they are out of the journey, so nothing happens.` }],
          effects: [],
          position,
        });
      } else if (wakes >= SIMULATION_LIMITS.wakes) truncated = true;
      else await run(index, "event", { type: "event", event }, clock, event);
    }
  }
  if (truncated) {
    entries.push({
      step: null,
      at: clock.toISOString(),
      cause: "advance",
      applied: false,
      visited: [],
      decisions: [{ nodeId: state.at, text: `Stopped after ${SIMULATION_LIMITS.wakes} steps of the journey: advance by less, or start again.` }],
      effects: [],
      position,
    });
  }

  const visited: string[] = [];
  for (const e of entries) for (const id of e.visited) if (!visited.includes(id)) visited.push(id);
  const label = personLabel({ traits, email: person.profile.email, userId: person.profile.userId });
  return {
    startedAt: start.toISOString(),
    now: clock.toISOString(),
    person: { profileId: realProfileId, primary: "traits" in input.person && label.anonymous ? "The person you described" : label.primary, secondary: label.secondary, traits: structuredClone(traits) },
    entries,
    visited,
    position,
    truncated,
  };
}

/** What differs from a real entry: the trigger's filters would not match, or the person is not in the trigger's segment now. */
function entryNote(def: JourneyDefinition, person: EvalInput, triggerEvent: EvalEvent | undefined, now: Date): string | null {
  const trigger = def.nodes.find((n) => n.kind === "trigger");
  if (trigger?.kind !== "trigger") return null;
  const t = trigger.trigger;
  if (t.type === "event" && triggerEvent && t.filters.length > 0) {
    const matches = evaluateCondition({ type: "event", event: triggerEvent.name ?? "", where: t.filters, count: { op: "gte", value: 1 }, window: { kind: "ever" } }, { ...person, events: [triggerEvent] }, now);
    if (!matches) return `Simulated as if they performed ${t.event} now; with these properties, a real ${t.event} would not match the trigger's filters.`;
    return `Simulated as if they performed ${t.event} now.`;
  }
  if (t.type === "event") return `Simulated as if they performed ${t.event} now.`;
  if ((t.type === "segment_entered" || t.type === "schedule") && t.segmentId && !person.memberships.has(t.segmentId)) return "Simulated as if they entered the trigger's segment now (they are not in it today).";
  if (t.type === "segment_exited" && t.segmentId && person.memberships.has(t.segmentId)) return "Simulated as if they left the trigger's segment now (they are in it today).";
  return null;
}
