import { evaluate, evaluateCondition, pathGetter, type EvalEvent, type EvalInput, type Trace } from "@/lib/segments/evaluate";
import type { EventCondition, PropertyFilter } from "@/lib/segments/schema";
import { CHANNEL_LABELS } from "@/lib/messages/schema";
import { durationMs, exitsOf, type JourneyDefinition, type JourneyNode } from "./schema";
import { isTimeZone, nextLocalTime } from "./time";

/**
 * The journey interpreter: given a version, one enrollment's state, the person, what woke
 * the enrollment (entering, a timer, an event) and `now`, it decides — and only decides.
 * It returns the next state, the effects for the runtime to perform (send, update, webhook,
 * wait until, convert, exit) and a trace of why (which branch case held, with the segment
 * evaluator's explanation). Pure: it sends nothing, reads no clock, and the same input
 * always gives the same answer, so a retried step decides the same again.
 */

export interface EnrollmentState {
  enteredAt: string;
  /** The node the person waits at; null once the enrollment ended. */
  at: string | null;
  /** When the wait ends (its duration, time of day or date; an event wait's timeout). */
  wakeAt: string | null;
  /** Waiting for an event (the wait node's), which wins over the timeout if it comes first. */
  waitingForEvent: boolean;
  /** How often each node ran: a send's delivery key is (enrollment, node, visit). */
  visits: Record<string, number>;
  /** The trigger event's correlation value (properties.orderId…), when the journey has a key. */
  correlation: string | null;
  /**
   * When the trigger happened (the trigger event's time, when earlier than entering): the goal
   * and the exit criteria count events from here, so an order placed while the trigger was
   * still on its way to the journey is not missed.
   */
  triggeredAt?: string;
}

/**
 * What woke the enrollment: entering (with the trigger event), its timer, an event (for an
 * event wait), or a check (something changed that the goal or exit criteria may now meet:
 * they are checked where the person waits, and nothing else moves).
 */
export type Wake = { type: "enter"; event?: EvalEvent } | { type: "timer" } | { type: "event"; event: EvalEvent } | { type: "check" };

export type Effect =
  | { type: "send"; nodeId: string; visit: number; channel: string; templateId: string; sender?: number; onFailure: "continue" | "exit" }
  | { type: "update"; nodeId: string; visit: number; trait: string; op: "set" | "increment" | "unset"; value: unknown }
  | { type: "webhook"; nodeId: string; visit: number; channelId: string; templateId?: string }
  | { type: "wait"; nodeId: string; until: string | null; forEvent: boolean }
  | { type: "convert"; nodeId: string | null }
  /** The person fell into a split's holdout arm: they get no messages, and count for lift. */
  | { type: "holdout"; nodeId: string; arm: string }
  | { type: "exit"; nodeId: string | null; reason: "completed" | "exit_criteria" | "goal" | "no_path" };

export interface Decision {
  nodeId: string | null;
  /** A branch case's decision: which case (the trace is its condition's). */
  caseId?: string;
  text: string;
  /** A branch case's evaluation, node by node (lib/segments/evaluate.ts). */
  trace?: Trace;
}

export interface StepResult {
  state: EnrollmentState;
  effects: Effect[];
  decisions: Decision[];
  /** False: the wake did not apply (an early timer, an event the wait is not for): nothing changed. */
  applied: boolean;
  /** The exits taken, in order (node, exit id as `exitsOf` names it): the canvas's per-exit counts. */
  exits: { nodeId: string; exit: string }[];
}

export interface InterpretContext {
  journeyId: string;
  now: Date;
  person: EvalInput;
  /** Used when the person has no (valid) time zone of their own. */
  workspaceTimeZone: string;
}

/** At most this many nodes run in one wake-up (validation already refuses loops without a wait). */
const MAX_STEPS = 500;

export function newEnrollment(def: JourneyDefinition, now: Date, triggerEvent?: EvalEvent): EnrollmentState {
  const trigger = def.nodes.find((n) => n.kind === "trigger");
  const key = trigger?.kind === "trigger" && trigger.trigger.type === "event" ? trigger.trigger.correlationKey : undefined;
  const state: EnrollmentState = { enteredAt: now.toISOString(), at: null, wakeAt: null, waitingForEvent: false, visits: {}, correlation: key && triggerEvent ? correlationOf(triggerEvent, key) : null };
  const at = triggerEvent?.timestamp.getTime();
  if (at !== undefined && Number.isFinite(at) && at < now.getTime()) state.triggeredAt = new Date(at).toISOString();
  return state;
}

/** The value at `properties.a.b` of an event, as text (null when absent). */
export function correlationOf(event: EvalEvent, key: string): string | null {
  let value: unknown = { properties: event.properties };
  for (const part of key.split(".")) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[part] : undefined;
  return value === undefined || value === null || typeof value === "object" ? null : String(value);
}

/** "in-app", "email", "SMS": a channel's name inside a sentence. */
function channelWord(channel: keyof typeof CHANNEL_LABELS | undefined): string {
  const label = channel ? CHANNEL_LABELS[channel] : "";
  return label === label.toUpperCase() ? label : label.charAt(0).toLowerCase() + label.slice(1);
}

/** FNV-1a, 32 bits: a split's arm is stable per person, journey and node. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function eventHappened(person: EvalInput, event: string, filters: PropertyFilter[], from: Date, to: Date, now: Date): boolean {
  if (to.getTime() <= from.getTime()) return false;
  const node: EventCondition = { type: "event", event, where: filters, count: { op: "gte", value: 1 }, window: { kind: "between", from: from.toISOString(), to: to.toISOString() } };
  return evaluateCondition(node, person, now);
}

export function interpret(def: JourneyDefinition, state: EnrollmentState, wake: Wake, ctx: InterpretContext): StepResult {
  const nodes = new Map(def.nodes.map((n) => [n.id, n]));
  const edges = new Map(def.edges.map((e) => [`${e.from}\u0000${e.exit}`, e.to]));
  const next = { ...state, visits: { ...state.visits } };
  const effects: Effect[] = [];
  const decisions: Decision[] = [];
  const exits: StepResult["exits"] = [];
  const now = ctx.now;
  const unchanged = (text: string): StepResult => ({ state, effects: [], decisions: [{ nodeId: state.at, text }], applied: false, exits: [] });
  const end = (nodeId: string | null, reason: Extract<Effect, { type: "exit" }>["reason"], text: string): StepResult => {
    decisions.push({ nodeId, text });
    effects.push({ type: "exit", nodeId, reason });
    return { state: { ...next, at: null, wakeAt: null, waitingForEvent: false }, effects, decisions, applied: true, exits };
  };
  const entered = new Date(state.triggeredAt ?? state.enteredAt);
  /** The exit criteria, then the goal, at `node`: the end they call for, or null. */
  const rules = (node: JourneyNode): StepResult | null => {
    const exitRule = def.settings.exitCriteria;
    if (exitRule) {
      const met = exitRule.type === "segment" ? Boolean(exitRule.segmentId && ctx.person.memberships.has(exitRule.segmentId)) : Boolean(exitRule.event && eventHappened(ctx.person, exitRule.event, exitRule.filters, entered, new Date(now.getTime() + 1), now));
      if (met) return end(node.id, "exit_criteria", exitRule.type === "segment" ? "Meets the exit criteria (in the segment)." : `Meets the exit criteria (${exitRule.event} since entering).`);
    }
    const goal = def.settings.goal;
    if (goal) {
      const until = new Date(Math.min(now.getTime() + 1, entered.getTime() + durationMs(goal.window)));
      const met = goal.type === "segment" ? Boolean(goal.segmentId && ctx.person.memberships.has(goal.segmentId)) : Boolean(goal.event && eventHappened(ctx.person, goal.event, goal.filters, entered, until, now));
      if (met) {
        effects.push({ type: "convert", nodeId: node.id });
        return end(node.id, "goal", goal.type === "segment" ? "Reached the goal (in the segment)." : `Reached the goal (${goal.event}).`);
      }
    }
    return null;
  };

  // Where the wake-up leads: the node to run first, and by which exit we leave a wait.
  let current: string | null;
  if (wake.type === "enter") {
    if (state.at !== null || Object.keys(state.visits).length > 0) return unchanged("Already in the journey.");
    current = def.nodes.find((n) => n.kind === "trigger")?.id ?? null;
  } else if (wake.type === "check") {
    const waiting = state.at ? nodes.get(state.at) : undefined;
    if (!waiting) return unchanged("Not in the journey.");
    return rules(waiting) ?? unchanged("Neither the goal nor the exit criteria are met: waits on.");
  } else {
    const waiting = state.at ? nodes.get(state.at) : undefined;
    if (!waiting || waiting.kind !== "wait") return unchanged("Not waiting.");
    if (wake.type === "timer") {
      if (!state.wakeAt || new Date(state.wakeAt).getTime() > now.getTime()) return unchanged("The wait is not over yet.");
      const exit = waiting.wait.type === "event" ? "timeout" : "next";
      decisions.push({ nodeId: waiting.id, text: waiting.wait.type === "event" ? `Timed out waiting for ${waiting.wait.event}.` : "The wait is over." });
      exits.push({ nodeId: waiting.id, exit });
      current = edges.get(`${waiting.id}\u0000${exit}`) ?? null;
    } else {
      if (!state.waitingForEvent || waiting.wait.type !== "event" || !waiting.wait.event) return unchanged("Not waiting for an event.");
      const w = waiting.wait;
      const trigger = def.nodes.find((n) => n.kind === "trigger");
      const key = trigger?.kind === "trigger" && trigger.trigger.type === "event" ? trigger.trigger.correlationKey : undefined;
      const matches =
        wake.event.name === w.event &&
        evaluateCondition({ type: "event", event: w.event, where: w.filters, count: { op: "gte", value: 1 }, window: { kind: "ever" } }, { ...ctx.person, events: [wake.event] }, now) &&
        (!key || state.correlation === null || correlationOf(wake.event, key) === state.correlation);
      if (!matches) return unchanged(`${wake.event.name ?? "That event"} is not the event this wait is for.`);
      decisions.push({ nodeId: waiting.id, text: `${w.event} happened${key && state.correlation ? ` for ${key} = ${state.correlation}` : ""}.` });
      exits.push({ nodeId: waiting.id, exit: "event" });
      current = edges.get(`${waiting.id}\u0000event`) ?? null;
    }
    next.wakeAt = null;
    next.waitingForEvent = false;
  }

  for (let steps = 0; ; steps++) {
    if (current === null) return end(next.at, "no_path", "No step follows here: the journey ends.");
    if (steps >= MAX_STEPS) return end(current, "no_path", `More than ${MAX_STEPS} steps at once: the journey was stopped (a loop without a wait?).`);
    const node: JourneyNode | undefined = nodes.get(current);
    if (!node) return end(current, "no_path", "This step no longer exists: the journey ends.");

    // Before every step: the exit criteria, then the goal.
    if (node.kind !== "trigger") {
      const ended = rules(node);
      if (ended) return ended;
    }

    const visit = (next.visits[node.id] ?? 0) + 1;
    next.visits[node.id] = visit;
    next.at = node.id;
    const follow = (exit: string) => {
      exits.push({ nodeId: node.id, exit });
      return edges.get(`${node.id}\u0000${exit}`) ?? null;
    };

    switch (node.kind) {
      case "trigger":
        decisions.push({ nodeId: node.id, text: "Entered the journey." });
        current = follow("next");
        break;
      case "exit":
        return end(node.id, "completed", "Reached the end.");
      case "send":
        effects.push({ type: "send", nodeId: node.id, visit, channel: node.channel ?? "", templateId: node.templateId ?? "", sender: node.sender, onFailure: node.onFailure });
        decisions.push({ nodeId: node.id, text: `Send the ${channelWord(node.channel)} message.` });
        current = follow("next");
        break;
      case "update":
        effects.push({ type: "update", nodeId: node.id, visit, trait: node.trait ?? "", op: node.op, value: node.value ?? null });
        decisions.push({ nodeId: node.id, text: `${node.op === "unset" ? "Remove" : node.op === "increment" ? "Increase" : "Set"} ${node.trait}.` });
        current = follow("next");
        break;
      case "webhook":
        effects.push({ type: "webhook", nodeId: node.id, visit, channelId: node.channelId ?? "", templateId: node.templateId });
        decisions.push({ nodeId: node.id, text: "Call the webhook." });
        current = follow("next");
        break;
      case "branch": {
        let taken: string | null = null;
        for (const c of node.cases) {
          if (!c.condition) continue;
          const result = evaluate(c.condition, ctx.person, now);
          decisions.push({ nodeId: node.id, caseId: c.id, text: `${c.name}: ${result.match ? "yes" : "no"}.`, trace: result.trace });
          if (result.match) {
            taken = c.id;
            break;
          }
        }
        if (!taken) decisions.push({ nodeId: node.id, text: "No case held: everyone else." });
        current = follow(taken ?? "else");
        break;
      }
      case "split": {
        const point = hash(`${ctx.journeyId}:${node.id}:${ctx.person.profile.id}`) % 100;
        let sum = 0;
        const arm = node.arms.find((a) => point < (sum += a.percent)) ?? node.arms.at(-1);
        decisions.push({ nodeId: node.id, text: arm ? `Split: ${arm.name}${arm.holdout ? " (holdout)" : ""}.` : "Split without arms." });
        if (arm?.holdout) effects.push({ type: "holdout", nodeId: node.id, arm: arm.id });
        current = arm ? follow(arm.id) : null;
        break;
      }
      case "wait": {
        const w = node.wait;
        let until: Date | null = null;
        if (w.type === "duration" && w.duration) until = new Date(now.getTime() + durationMs(w.duration));
        if (w.type === "event" && w.timeout) until = new Date(now.getTime() + durationMs(w.timeout));
        if (w.type === "time_of_day" && w.time) {
          const own = ctx.person.profile.timezone;
          const zone = isTimeZone(own) ? own : ctx.workspaceTimeZone;
          until = nextLocalTime(now, w.time, w.weekdays, zone);
          decisions.push({ nodeId: node.id, text: `Wait until ${w.time} (${zone}${isTimeZone(own) ? ", the person's time zone" : ", the workspace's time zone"}).` });
        }
        if (w.type === "date_trait") {
          const raw = w.trait ? pathGetter(w.trait)(ctx.person.profile.traits) : undefined;
          const shift = w.offset ? durationMs(w.offset.duration) * (w.offset.sign === "before" ? -1 : 1) : 0;
          const at = typeof raw === "string" || typeof raw === "number" ? new Date(raw).getTime() + shift : Number.NaN;
          // A date a timer cannot hold (not a date, before 1970 or after 9999 once shifted) counts as none.
          if (!Number.isFinite(at) || at < 0 || at > 253_402_300_799_999) {
            decisions.push({ nodeId: node.id, text: `No date in ${w.trait}: go on.` });
            current = follow("next");
            break;
          }
          until = new Date(at);
          if (until.getTime() <= now.getTime()) {
            decisions.push({ nodeId: node.id, text: `${w.trait} (${until.toISOString()}) has passed: go on.` });
            current = follow("next");
            break;
          }
        }
        next.wakeAt = until ? until.toISOString() : null;
        next.waitingForEvent = w.type === "event";
        effects.push({ type: "wait", nodeId: node.id, until: next.wakeAt, forEvent: next.waitingForEvent });
        if (w.type !== "time_of_day") decisions.push({ nodeId: node.id, text: w.type === "event" ? `Wait for ${w.event}, at most until ${next.wakeAt}.` : `Wait until ${next.wakeAt}.` });
        return { state: next, effects, decisions, applied: true, exits };
      }
    }
    if (current === null && exitsOf(node).length > 0) return end(node.id, "no_path", "No step follows here: the journey ends.");
  }
}
