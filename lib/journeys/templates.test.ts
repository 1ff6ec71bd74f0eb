import { describe, expect, it } from "vitest";
import type { EvalEvent, EvalInput } from "@/lib/segments/evaluate";
import { renderTemplate } from "@/lib/messages/render";
import { ZTemplateContent, type MessageChannel } from "@/lib/messages/schema";
import { validate } from "@/lib/segments/schema";
import { checkJourney, referencesOf, type JourneyReferences } from "./graph";
import { interpret, newEnrollment, type EnrollmentState, type Wake } from "./interpret";
import { exitsOf, ZJourneyDefinition, type JourneyDefinition, type JourneyNode } from "./schema";
import { JOURNEY_STARTERS, journeyStarter, placeholderIds, starterSteps, type JourneyStarter } from "./templates";

/** Fake ids for a starter's needs, and the references that make them exist. */
function filled(starter: JourneyStarter): { ids: Record<string, string>; refs: JourneyReferences } {
  const ids = Object.fromEntries(starter.needs.map((n) => [n.key, `id-${n.key}`]));
  const segments = new Set<string>();
  const templates = new Map<string, MessageChannel>();
  for (const n of starter.needs) {
    if (n.kind === "segment") segments.add(ids[n.key]!);
    else templates.set(ids[n.key]!, n.channel);
  }
  return { ids, refs: { segments, templates } };
}

function built(key: string): { def: JourneyDefinition; ids: Record<string, string> } {
  const starter = journeyStarter(key)!;
  const { ids } = filled(starter);
  return { def: starter.build(ids), ids };
}

const node = (def: JourneyDefinition, id: string): JourneyNode => def.nodes.find((n) => n.id === id)!;
const target = (def: JourneyDefinition, from: string, exit: string) => def.edges.find((e) => e.from === from && e.exit === exit)?.to;

describe("journey templates", () => {
  it("offers the six starters of the issue, each with a unique key", () => {
    expect(JOURNEY_STARTERS.map((s) => s.key)).toEqual(["feature-nudge", "abandoned-cart", "onboarding-dropoff", "win-back", "cross-sell", "welcome-series"]);
    expect(journeyStarter("nope")).toBeUndefined();
  });

  describe.each(JOURNEY_STARTERS.map((s) => [s.key, s] as const))("%s", (_key, starter) => {
    const { ids, refs } = filled(starter);
    const def = starter.build(ids);

    it("is a valid definition that parses to itself", () => {
      expect(ZJourneyDefinition.parse(def)).toEqual(def);
    });

    it("passes every check with its needs filled", () => {
      expect(checkJourney(def, refs)).toEqual([]);
    });

    it("names exactly what it declares it needs", () => {
      const used = referencesOf(def);
      const byKind = (kind: "segment" | "template") => starter.needs.filter((n) => n.kind === kind).map((n) => ids[n.key]).sort();
      expect(used.segments.sort()).toEqual(byKind("segment"));
      expect(used.templates.sort()).toEqual(byKind("template"));
      expect(new Set(starter.needs.map((n) => n.key)).size).toBe(starter.needs.length);
      expect(new Set(starter.needs.map((n) => `${n.kind}:${n.name}`)).size).toBe(starter.needs.length);
    });

    it("declares valid segments and messages that render without an event", () => {
      for (const n of starter.needs) {
        if (n.kind === "segment") {
          expect(validate(n.definition)).toMatchObject({ ok: true });
        } else {
          expect(ZTemplateContent.parse(n.content)).toEqual(n.content);
          expect(n.content.channel).toBe(n.channel);
          const rendered = renderTemplate(n.content, { person: { first_name: "Ada" }, unsubscribe_url: "https://u.test", preferences_url: "https://p.test" });
          expect(rendered, n.name).toMatchObject({ ok: true });
        }
      }
    });

    it("is laid out top to bottom: every connection goes down, no two steps overlap", () => {
      const positions = new Map(def.nodes.map((n) => [n.id, n.position]));
      for (const e of def.edges) expect(positions.get(e.to)!.y, e.id).toBeGreaterThan(positions.get(e.from)!.y);
      const spots = def.nodes.map((n) => `${n.position.x},${n.position.y}`);
      expect(new Set(spots).size).toBe(spots.length);
      expect(node(def, "trigger").position).toEqual({ x: 0, y: 0 });
    });

    it("has its phase, a goal, and a label on every step", () => {
      expect(def.settings.phase).toBe(starter.phase);
      expect(def.settings.goal).toBeDefined();
      for (const n of def.nodes) if (n.kind !== "exit") expect(n.label, n.id).toBeTruthy();
      expect(starterSteps(starter).length).toBeGreaterThanOrEqual(3);
    });

    it("refuses to build without an id for every need", () => {
      if (starter.needs.length === 0) return;
      const missing = { ...ids };
      delete missing[starter.needs[0]!.key];
      expect(() => starter.build(missing)).toThrow(/no id/);
      expect(Object.keys(placeholderIds(starter)).sort()).toEqual(Object.keys(ids).sort());
    });
  });
});

// ——— What each starter means, walked through the interpreter ———

const T0 = new Date("2026-03-02T10:00:00Z");
const H = 3_600_000;
const after = (ms: number) => new Date(T0.getTime() + ms);
const ev = (name: string, time: Date, properties: Record<string, unknown> = {}): EvalEvent => ({ name, timestamp: time, properties });
function person(events: EvalEvent[] = [], memberships: string[] = []): EvalInput {
  return {
    profile: { id: "p-1", userId: "u-1", email: "ada@x.test", phone: "+4915112345678", timezone: "Europe/Berlin", locale: null, country: null, traits: {}, bucket: 1, firstSeenAt: T0, lastSeenAt: T0 },
    events,
    memberships: new Set(memberships),
    subscriptions: new Set(),
  };
}
function walk(def: JourneyDefinition, wakes: [Wake, Date, EvalInput][], triggerEvent?: EvalEvent) {
  let state: EnrollmentState = newEnrollment(def, wakes[0]![1], triggerEvent);
  const effects = [];
  for (const [wake, now, p] of wakes) {
    const result = interpret(def, state, wake, { journeyId: "j-1", now, person: p, workspaceTimeZone: "UTC" });
    effects.push(...result.effects);
    state = result.state;
  }
  return { state, effects, sends: effects.flatMap((e) => (e.type === "send" ? [`${e.channel}:${e.templateId}`] : [])), end: effects.findLast((e) => e.type === "exit") };
}

describe("the starters do what the issue says", () => {
  it("feature nudge: opened 3× in a day → 24 h → in-app; no result in 2 days → push → exit; the result is the goal", () => {
    const { def, ids } = built("feature-nudge");
    expect(node(def, "trigger")).toMatchObject({ trigger: { type: "event", event: "tariff_calculator_opened", count: { atLeast: 3, within: { amount: 1, unit: "days" } } } });
    expect(def.settings.goal).toMatchObject({ type: "event", event: "tariff_result_viewed" });
    expect(def.nodes.filter((n) => n.kind === "send").map((n) => n.kind === "send" && n.channel)).toEqual(["inapp", "push"]);
    expect(node(def, "wait_day")).toMatchObject({ wait: { type: "duration", duration: { amount: 24, unit: "hours" } } });
    expect(node(def, "wait_result")).toMatchObject({ wait: { type: "event", event: "tariff_result_viewed", timeout: { amount: 2, unit: "days" } } });
    expect(node(def, target(def, "wait_result", "event")!).kind).toBe("exit");
    expect(target(def, "wait_result", "timeout")).toBe("call");

    const opened = [0, 1, 2].map((i) => ev("tariff_calculator_opened", after(-i * H)));
    const ignored = walk(def, [
      [{ type: "enter" }, T0, person(opened)],
      [{ type: "timer" }, after(24 * H), person(opened)],
      [{ type: "timer" }, after(72 * H), person(opened)],
    ]);
    expect(ignored.sends).toEqual([`inapp:${ids.analysisOffer}`, `push:${ids.liveCall}`]);
    expect(ignored.end).toMatchObject({ type: "exit", reason: "completed" });

    const viewed = ev("tariff_result_viewed", after(30 * H));
    const converted = walk(def, [
      [{ type: "enter" }, T0, person(opened)],
      [{ type: "timer" }, after(24 * H), person(opened)],
      [{ type: "event", event: viewed }, after(30 * H), person([...opened, viewed])],
    ]);
    expect(converted.sends).toEqual([`inapp:${ids.analysisOffer}`]);
    expect(converted.effects).toContainEqual({ type: "convert", nodeId: "viewed" });
  });

  it("abandoned cart: once per cart; no order on that cart in 4 h → email → a day → SMS; an order on it ends it", () => {
    const { def, ids } = built("abandoned-cart");
    expect(node(def, "trigger")).toMatchObject({ trigger: { type: "event", event: "checkout_started", correlationKey: "properties.cartId" } });
    expect(node(def, "wait_order")).toMatchObject({ wait: { type: "event", event: "order_completed", timeout: { amount: 4, unit: "hours" } } });
    expect(def.settings).toMatchObject({ goal: { event: "order_completed" }, reentry: { mode: "always" } });

    const started = ev("checkout_started", T0, { cartId: "c-1" });
    const abandoned = walk(
      def,
      [
        [{ type: "enter", event: started }, T0, person([started])],
        [{ type: "timer" }, after(4 * H), person([started])],
        [{ type: "timer" }, after(28 * H), person([started])],
      ],
      started,
    );
    expect(abandoned.sends).toEqual([`email:${ids.cartEmail}`, `sms:${ids.cartSms}`]);

    // An order on another cart is not this cart's.
    const other = ev("order_completed", after(H), { cartId: "c-2" });
    const result = interpret(def, { ...newEnrollment(def, T0, started), at: "wait_order", waitingForEvent: true, wakeAt: after(4 * H).toISOString(), visits: { trigger: 1, wait_order: 1 } }, { type: "event", event: other }, { journeyId: "j", now: after(H), person: person([started, other]), workspaceTimeZone: "UTC" });
    expect(result.applied).toBe(false);
    const ordered = ev("order_completed", after(H), { cartId: "c-1" });
    const done = walk(def, [[{ type: "enter", event: started }, T0, person([started])], [{ type: "event", event: ordered }, after(H), person([started, ordered])]], started);
    expect(done.sends).toEqual([]);
    expect(done.effects).toContainEqual({ type: "convert", nodeId: "ordered" });
  });

  it("win-back: starts when someone enters the lapsed-buyers segment it asks for, holds 10 % out", () => {
    const starter = journeyStarter("win-back")!;
    const { def, ids } = built("win-back");
    expect(starter.needs.find((n) => n.kind === "segment")).toMatchObject({ key: "lapsedBuyers", name: "Lapsed buyers" });
    expect(node(def, "trigger")).toMatchObject({ trigger: { type: "segment_entered", segmentId: ids.lapsedBuyers } });
    const split = node(def, "holdout");
    expect(split.kind === "split" && split.arms.map((a) => [a.percent, a.holdout])).toEqual([
      [90, false],
      [10, true],
    ]);
  });

  it("cross-sell: never offers what was just bought", () => {
    const { def, ids } = built("cross-sell");
    const order = (category: string) => ev("order_completed", T0, { category });
    const offer = (events: EvalEvent[]) =>
      walk(def, [
        [{ type: "enter", event: events[0] }, T0, person(events)],
        [{ type: "timer" }, after(72 * H), person(events)],
      ]).sends;
    expect(offer([order("watches")])).toEqual([`email:${ids.accessoriesEmail}`]);
    expect(offer([order("accessories")])).toEqual([`email:${ids.membershipEmail}`]);
    expect(offer([order("watches"), order("accessories")])).toEqual([`email:${ids.membershipEmail}`]);
    expect(offer([order("subscriptions")])).toEqual([]);
    expect(offer([order("accessories"), ev("order_completed", after(-100 * 24 * H), { category: "subscriptions" })])).toEqual([]);
    for (const n of def.nodes) if (n.kind === "branch") expect(exitsOf(n).map((x) => x.id)).toEqual(["watch", "accessory", "else"]);
  });

  it("onboarding drop-off and welcome series send in order, and the welcome series ends at the first order", () => {
    const onboarding = built("onboarding-dropoff");
    const signedUp = ev("signed_up", T0);
    expect(
      walk(onboarding.def, [
        [{ type: "enter", event: signedUp }, T0, person([signedUp])],
        [{ type: "timer" }, after(24 * H), person([signedUp])],
        [{ type: "timer" }, after(72 * H), person([signedUp])],
      ]).sends,
    ).toEqual([`email:${onboarding.ids.resumeEmail}`, `push:${onboarding.ids.resumePush}`]);

    const welcome = built("welcome-series");
    const all = walk(welcome.def, [
      [{ type: "enter", event: signedUp }, T0, person([signedUp])],
      [{ type: "timer" }, after(48 * H), person([signedUp])],
      [{ type: "timer" }, after(120 * H), person([signedUp])],
    ]);
    expect(all.sends).toEqual([`email:${welcome.ids.welcomeEmail}`, `email:${welcome.ids.tipsEmail}`, `email:${welcome.ids.firstOrderEmail}`]);
    const bought = ev("order_completed", after(24 * H));
    const early = walk(welcome.def, [
      [{ type: "enter", event: signedUp }, T0, person([signedUp])],
      [{ type: "timer" }, after(48 * H), person([signedUp, bought])],
    ]);
    expect(early.sends).toEqual([`email:${welcome.ids.welcomeEmail}`]);
    expect(early.end).toMatchObject({ reason: "goal" });
  });
});
