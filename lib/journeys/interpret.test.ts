import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { EvalEvent, EvalInput } from "@/lib/segments/evaluate";
import { checkJourney } from "./graph";
import { interpret, newEnrollment, type EnrollmentState, type Wake } from "./interpret";
import { ZJourneyDefinition, type JourneyDefinition } from "./schema";

const T0 = new Date("2026-03-02T10:00:00Z"); // a Monday
const H = 3_600_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

function person(over: { events?: EvalEvent[]; timezone?: string | null; traits?: Record<string, unknown>; memberships?: string[]; id?: string } = {}): EvalInput {
  return {
    profile: { id: over.id ?? "p-1", userId: "u-1", email: null, phone: null, timezone: over.timezone ?? null, locale: null, country: null, traits: over.traits ?? {}, bucket: 1, firstSeenAt: T0, lastSeenAt: T0 },
    events: over.events ?? [],
    memberships: new Set(over.memberships ?? []),
    subscriptions: new Set(),
  };
}
const ev = (name: string, time: Date, properties: Record<string, unknown> = {}): EvalEvent => ({ name, timestamp: time, properties });

/** trigger → wait → branch(saw result?) → yes: exit / no: send in-app → exit; goal: purchase in 7 days. */
const nudge = (): JourneyDefinition =>
  ZJourneyDefinition.parse({
    schemaVersion: 1,
    nodes: [
      { id: "start", kind: "trigger", trigger: { type: "event", event: "feature_used" } },
      { id: "wait", kind: "wait", wait: { type: "duration", duration: { amount: 24, unit: "hours" } } },
      { id: "saw", kind: "branch", cases: [{ id: "viewed", name: "Saw the result", condition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "event", event: "tariff_calculator_result", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 2, unit: "days" } }] } } }] },
      { id: "inapp", kind: "send", channel: "inapp", templateId: "t-inapp" },
      { id: "done", kind: "exit" },
    ],
    edges: [
      { id: "e1", from: "start", exit: "next", to: "wait" },
      { id: "e2", from: "wait", exit: "next", to: "saw" },
      { id: "e3", from: "saw", exit: "viewed", to: "done" },
      { id: "e4", from: "saw", exit: "else", to: "inapp" },
      { id: "e5", from: "inapp", exit: "next", to: "done" },
    ],
    settings: { goal: { type: "event", event: "purchase", window: { amount: 7, unit: "days" } } },
  });

const ctx = (now: Date, p: EvalInput = person()) => ({ journeyId: "j-1", now, person: p, workspaceTimeZone: "Europe/Berlin" });

function run(def: JourneyDefinition, wakes: [Wake, Date, EvalInput?][]) {
  let state: EnrollmentState = newEnrollment(def, wakes[0]![1]);
  const all = [];
  for (const [wake, now, p] of wakes) {
    const result = interpret(def, state, wake, ctx(now, p));
    all.push(result);
    state = result.state;
  }
  return { state, results: all, effects: all.flatMap((r) => r.effects) };
}

describe("the journey interpreter", () => {
  it("enters, waits 24 h, and sends when the person did not see the result", () => {
    const { results, effects, state } = run(nudge(), [
      [{ type: "enter" }, T0],
      [{ type: "timer" }, at(24 * H)],
    ]);
    expect(results[0]!.effects).toEqual([{ type: "wait", nodeId: "wait", until: at(24 * H).toISOString(), forEvent: false }]);
    expect(effects.map((e) => e.type)).toEqual(["wait", "send", "exit"]);
    expect(effects[1]).toMatchObject({ type: "send", nodeId: "inapp", visit: 1, channel: "inapp", templateId: "t-inapp" });
    expect(results[1]!.decisions.map((d) => d.text)).toEqual(["The wait is over.", "Saw the result: no.", "No case held: everyone else.", "Send the in-app message.", "Reached the end."]);
    expect(state.at).toBeNull();
  });

  it("takes the case that holds, with the evaluator's explanation", () => {
    const saw = person({ events: [ev("tariff_calculator_result", at(3 * H))] });
    const { results, effects } = run(nudge(), [
      [{ type: "enter" }, T0, saw],
      [{ type: "timer" }, at(24 * H), saw],
    ]);
    expect(effects.map((e) => e.type)).toEqual(["wait", "exit"]);
    const branch = results[1]!.decisions.find((d) => d.text === "Saw the result: yes.");
    expect(branch?.trace).toMatchObject({ holds: true, children: [{ type: "event", holds: true, seen: 1 }] });
  });

  it("ignores a timer that comes early and an event it is not waiting for (a retried or stray job changes nothing)", () => {
    const def = nudge();
    const entered = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0));
    const early = interpret(def, entered.state, { type: "timer" }, ctx(at(23 * H)));
    expect(early).toMatchObject({ applied: false, effects: [], state: entered.state });
    expect(interpret(def, entered.state, { type: "event", event: ev("app_open", at(H)) }, ctx(at(H)))).toMatchObject({ applied: false });
    // Entering twice is refused: the first entry stands.
    expect(interpret(def, entered.state, { type: "enter" }, ctx(T0))).toMatchObject({ applied: false });
  });

  it("the goal ends the enrollment as a conversion before the next step; exit criteria leave without one", () => {
    const bought = person({ events: [ev("purchase", at(2 * H))] });
    const { effects } = run(nudge(), [
      [{ type: "enter" }, T0, bought],
      [{ type: "timer" }, at(24 * H), bought],
    ]);
    // The purchase happened after entering: it converts at the wait's end, before the branch.
    expect(effects.slice(1)).toEqual([{ type: "convert", nodeId: "saw" }, { type: "exit", nodeId: "saw", reason: "goal" }]);

    const def = nudge();
    def.settings.goal = undefined;
    def.settings.exitCriteria = { type: "segment", segmentId: "unsubscribed" };
    const left = run(def, [
      [{ type: "enter" }, T0],
      [{ type: "timer" }, at(24 * H), person({ memberships: ["unsubscribed"] })],
    ]);
    expect(left.effects.slice(1)).toEqual([{ type: "exit", nodeId: "saw", reason: "exit_criteria" }]);
  });

  it("a purchase before entering or after the conversion window is not a conversion", () => {
    const def = nudge();
    def.settings.goal = { type: "event", event: "purchase", filters: [], window: { amount: 1, unit: "hours" } };
    const early = person({ events: [ev("purchase", at(-H))] });
    expect(run(def, [[{ type: "enter" }, T0, early], [{ type: "timer" }, at(24 * H), early]]).effects.map((e) => e.type)).toEqual(["wait", "send", "exit"]);
    const late = person({ events: [ev("purchase", at(2 * H))] });
    expect(run(def, [[{ type: "enter" }, T0, late], [{ type: "timer" }, at(24 * H), late]]).effects.map((e) => e.type)).toEqual(["wait", "send", "exit"]);
  });

  it("a wait for an event: the event on the same order wins over the timeout, once", () => {
    const def = ZJourneyDefinition.parse({
      schemaVersion: 1,
      nodes: [
        { id: "start", kind: "trigger", trigger: { type: "event", event: "checkout_started", correlationKey: "properties.cartId" } },
        { id: "wait", kind: "wait", wait: { type: "event", event: "order_completed", timeout: { amount: 4, unit: "hours" } } },
        { id: "email", kind: "send", channel: "email", templateId: "t" },
        { id: "done", kind: "exit" },
      ],
      edges: [
        { id: "e1", from: "start", exit: "next", to: "wait" },
        { id: "e2", from: "wait", exit: "event", to: "done" },
        { id: "e3", from: "wait", exit: "timeout", to: "email" },
        { id: "e4", from: "email", exit: "next", to: "done" },
      ],
    });
    expect(checkJourney(def)).toEqual([]);
    const state0 = newEnrollment(def, T0, ev("checkout_started", T0, { cartId: "c-1" }));
    expect(state0.correlation).toBe("c-1");
    const waiting = interpret(def, state0, { type: "enter" }, ctx(T0)).state;
    expect(waiting).toMatchObject({ at: "wait", waitingForEvent: true, wakeAt: at(4 * H).toISOString() });
    // Another cart's order does not count.
    expect(interpret(def, waiting, { type: "event", event: ev("order_completed", at(H), { cartId: "c-2" }) }, ctx(at(H))).applied).toBe(false);
    const ordered = interpret(def, waiting, { type: "event", event: ev("order_completed", at(H), { cartId: "c-1" }) }, ctx(at(H)));
    expect(ordered.effects).toEqual([{ type: "exit", nodeId: "done", reason: "completed" }]);
    // The timeout after that finds nobody waiting.
    expect(interpret(def, ordered.state, { type: "timer" }, ctx(at(4 * H))).applied).toBe(false);
    // Without the order: the timeout sends the email.
    expect(interpret(def, waiting, { type: "timer" }, ctx(at(4 * H))).effects.map((e) => e.type)).toEqual(["send", "exit"]);
  });

  it("waits until a local time in the person's time zone, else the workspace's; a date trait that passed goes on", () => {
    const def = nudge();
    def.nodes[1] = { id: "wait", kind: "wait", position: { x: 0, y: 0 }, wait: { type: "time_of_day", time: "09:00", weekdays: [1, 2, 3, 4, 5] } };
    // 10:00 UTC Monday is 11:00 in Berlin: 09:00 has passed today → Tuesday 08:00 UTC.
    expect(interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0)).state.wakeAt).toBe("2026-03-03T08:00:00.000Z");
    // In New York it is 05:00: today 09:00 is still ahead → 14:00 UTC.
    expect(interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0, person({ timezone: "America/New_York" }))).state.wakeAt).toBe("2026-03-02T14:00:00.000Z");
    // A time zone that is not one falls back to the workspace's.
    expect(interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0, person({ timezone: "Mars/Olympus" }))).state.wakeAt).toBe("2026-03-03T08:00:00.000Z");

    def.nodes[1] = { id: "wait", kind: "wait", position: { x: 0, y: 0 }, wait: { type: "date_trait", trait: "renewal", offset: { sign: "before", duration: { amount: 3, unit: "days" } } } };
    const soon = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0, person({ traits: { renewal: "2026-03-20T00:00:00Z" } })));
    expect(soon.state.wakeAt).toBe("2026-03-17T00:00:00.000Z");
    const passed = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0, person({ traits: { renewal: "2026-03-04T00:00:00Z" } })));
    expect(passed.effects.map((e) => e.type)).toEqual(["send", "exit"]);
    expect(passed.decisions.map((d) => d.text)).toContain("renewal (2026-03-01T00:00:00.000Z) has passed: go on.");
  });

  it("splits people stably and in proportion", () => {
    const def = ZJourneyDefinition.parse({
      schemaVersion: 1,
      nodes: [
        { id: "start", kind: "trigger", trigger: { type: "api" } },
        { id: "ab", kind: "split", arms: [{ id: "a", name: "A", percent: 70 }, { id: "h", name: "Holdout", percent: 30, holdout: true }] },
        { id: "send", kind: "send", channel: "email", templateId: "t" },
        { id: "done", kind: "exit" },
      ],
      edges: [
        { id: "e1", from: "start", exit: "next", to: "ab" },
        { id: "e2", from: "ab", exit: "a", to: "send" },
        { id: "e3", from: "ab", exit: "h", to: "done" },
        { id: "e4", from: "send", exit: "next", to: "done" },
      ],
    });
    let sent = 0;
    for (let i = 0; i < 2_000; i++) {
      const once = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0, person({ id: `p-${i}` })));
      const again = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(at(H), person({ id: `p-${i}` })));
      expect(again.effects).toEqual(once.effects);
      if (once.effects.some((e) => e.type === "send")) sent++;
    }
    expect(sent / 2_000).toBeGreaterThan(0.66);
    expect(sent / 2_000).toBeLessThan(0.74);
  });

  it("random valid journeys never throw, and each wake-up ends waiting or out of the journey", () => {
    const kinds = ["wait", "send", "update", "branch", "split", "exit"] as const;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(1000), { minLength: 12, maxLength: 12 }), (shape, seeds) => {
        // A chain of the given kinds; a branch's case and a split's arms all lead on.
        const nodes: unknown[] = [{ id: "n0", kind: "trigger", trigger: { type: "api" } }];
        const edges: unknown[] = [];
        let prev: { id: string; exits: string[] } = { id: "n0", exits: ["next"] };
        const close = (to: string) => prev.exits.forEach((x, i) => edges.push({ id: `${prev.id}-${i}`, from: prev.id, exit: x, to }));
        shape.forEach((kind, i) => {
          const id = `n${i + 1}`;
          if (kind === "exit") return;
          close(id);
          if (kind === "wait") nodes.push({ id, kind, wait: { type: "duration", duration: { amount: 1 + (seeds[i]! % 5), unit: "hours" } } });
          if (kind === "send") nodes.push({ id, kind, channel: "email", templateId: "t" });
          if (kind === "update") nodes.push({ id, kind, trait: "score", op: "increment", value: 1 });
          if (kind === "branch") nodes.push({ id, kind, cases: [{ id: "c", name: "C", condition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "lastSeen", operator: { op: "withinLast", amount: 1 + (seeds[i]! % 9), unit: "days" } }] } } }] });
          if (kind === "split") nodes.push({ id, kind, arms: [{ id: "a", name: "A", percent: seeds[i]! % 101 }, { id: "b", name: "B", percent: 100 - (seeds[i]! % 101) }] });
          prev = { id, exits: kind === "branch" ? ["c", "else"] : kind === "split" ? ["a", "b"] : ["next"] };
        });
        nodes.push({ id: "end", kind: "exit" });
        close("end");
        const def = ZJourneyDefinition.parse({ schemaVersion: 1, nodes, edges });
        expect(checkJourney(def)).toEqual([]);
        let state = newEnrollment(def, T0);
        let now = T0;
        let result = interpret(def, state, { type: "enter" }, ctx(now));
        for (let wakes = 0; wakes < 20 && result.state.at !== null; wakes++) {
          expect(result.state.wakeAt).not.toBeNull();
          now = new Date(result.state.wakeAt!);
          state = result.state;
          result = interpret(def, state, { type: "timer" }, ctx(now));
          expect(result.applied).toBe(true);
        }
        expect(result.state.at).toBeNull();
        expect(result.effects.at(-1)).toMatchObject({ type: "exit", reason: "completed" });
      }),
      { numRuns: 200 },
    );
  });

  it("reports the exits taken (for the canvas's counts) and marks a holdout arm", () => {
    const def = ZJourneyDefinition.parse({
      schemaVersion: 1,
      nodes: [
        { id: "start", kind: "trigger", trigger: { type: "api" } },
        { id: "split", kind: "split", arms: [{ id: "hold", name: "Holdout", percent: 100, holdout: true }] },
        { id: "done", kind: "exit" },
      ],
      edges: [
        { id: "e1", from: "start", exit: "next", to: "split" },
        { id: "e2", from: "split", exit: "hold", to: "done" },
      ],
    });
    const result = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0));
    expect(result.exits).toEqual([
      { nodeId: "start", exit: "next" },
      { nodeId: "split", exit: "hold" },
    ]);
    expect(result.effects).toContainEqual({ type: "holdout", nodeId: "split", arm: "hold" });
    // The wait's exit is counted when the timer wakes it.
    const { results } = run(nudge(), [
      [{ type: "enter" }, T0],
      [{ type: "timer" }, at(24 * H)],
    ]);
    expect(results[1]!.exits).toEqual([
      { nodeId: "wait", exit: "next" },
      { nodeId: "saw", exit: "else" },
      { nodeId: "inapp", exit: "next" },
    ]);
  });

  it("a check wake ends the enrollment where it waits when the goal is met, and otherwise changes nothing", () => {
    const def = nudge();
    const entered = interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0)).state;
    const nothing = interpret(def, entered, { type: "check" }, ctx(at(H)));
    expect(nothing).toMatchObject({ applied: false, state: entered, effects: [] });
    const converted = interpret(def, entered, { type: "check" }, ctx(at(2 * H), person({ events: [ev("purchase", at(H))] })));
    expect(converted.applied).toBe(true);
    expect(converted.effects).toEqual([
      { type: "convert", nodeId: "wait" },
      { type: "exit", nodeId: "wait", reason: "goal" },
    ]);
    expect(converted.state).toMatchObject({ at: null, wakeAt: null });
  });

  it("a date-trait wait reads nested traits and treats dates a timer cannot hold as none", () => {
    const def = ZJourneyDefinition.parse({
      schemaVersion: 1,
      nodes: [
        { id: "start", kind: "trigger", trigger: { type: "api" } },
        { id: "renewal", kind: "wait", wait: { type: "date_trait", trait: "sub.renews_at", offset: { sign: "before", duration: { amount: 3, unit: "days" } } } },
        { id: "done", kind: "exit" },
      ],
      edges: [
        { id: "e1", from: "start", exit: "next", to: "renewal" },
        { id: "e2", from: "renewal", exit: "next", to: "done" },
      ],
    });
    const enter = (traits: Record<string, unknown>) => interpret(def, newEnrollment(def, T0), { type: "enter" }, ctx(T0, person({ traits })));
    expect(enter({ sub: { renews_at: "2026-03-12T10:00:00Z" } }).state).toMatchObject({ at: "renewal", wakeAt: "2026-03-09T10:00:00.000Z" });
    for (const renews of [8.64e15, -8.64e15, "not a date", ["2026-03-12"]]) {
      const result = enter({ sub: { renews_at: renews } });
      expect(result.decisions.map((d) => d.text)).toContain("No date in sub.renews_at: go on.");
      expect(result.state.at).toBeNull();
    }
  });

  it("the goal counts from the trigger event's time when it happened before entering", () => {
    const def = nudge();
    const triggered = at(-2 * H);
    const state = newEnrollment(def, T0, ev("feature_used", triggered));
    expect(state.triggeredAt).toBe(triggered.toISOString());
    const entered = interpret(def, state, { type: "enter", event: ev("feature_used", triggered) }, ctx(T0, person({ events: [ev("purchase", at(-H))] })));
    expect(entered.effects).toContainEqual({ type: "convert", nodeId: "wait" });
    // A purchase before the trigger does not count.
    const before = interpret(def, newEnrollment(def, T0, ev("feature_used", triggered)), { type: "enter" }, ctx(T0, person({ events: [ev("purchase", at(-3 * H))] })));
    expect(before.effects.some((e) => e.type === "convert")).toBe(false);
  });
});

