import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkJourney, referencesOf, type JourneyReferences } from "./graph";
import { ZJourneyDefinition, exitsOf, type JourneyDefinition, type JourneyNode } from "./schema";

/** The feature nudge of the product brief: calculator opened 3× in a day → wait 24 h → saw the result? → in-app, else push → exit. */
function featureNudge(): JourneyDefinition {
  return ZJourneyDefinition.parse({
    schemaVersion: 1,
    nodes: [
      { id: "start", kind: "trigger", trigger: { type: "event", event: "feature_used", filters: [{ path: "feature", valueType: "string", operator: { op: "equals", value: "tariff_calculator" } }], count: { atLeast: 3, within: { amount: 1, unit: "days" } } } },
      { id: "wait", kind: "wait", wait: { type: "duration", duration: { amount: 24, unit: "hours" } } },
      {
        id: "saw",
        kind: "branch",
        cases: [
          {
            id: "viewed",
            name: "Saw the result",
            condition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "event", id: "c1", event: "tariff_calculator_result", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 2, unit: "days" } }] } },
          },
        ],
      },
      { id: "inapp", kind: "send", channel: "inapp", templateId: "t-inapp" },
      { id: "push", kind: "send", channel: "push", templateId: "t-push" },
      { id: "done", kind: "exit" },
    ],
    edges: [
      { id: "e1", from: "start", exit: "next", to: "wait" },
      { id: "e2", from: "wait", exit: "next", to: "saw" },
      { id: "e3", from: "saw", exit: "viewed", to: "done" },
      { id: "e4", from: "saw", exit: "else", to: "inapp" },
      { id: "e5", from: "inapp", exit: "next", to: "push" },
      { id: "e6", from: "push", exit: "next", to: "done" },
    ],
    settings: { goal: { type: "event", event: "purchase", window: { amount: 7, unit: "days" } }, reentry: { mode: "after", after: { amount: 30, unit: "days" } }, phase: "consideration" },
  });
}

const refs: JourneyReferences = { segments: new Set(["seg-1"]), templates: new Map([["t-inapp", "inapp"], ["t-push", "push"], ["t-email", "email"]]) };
const messages = (def: JourneyDefinition, r: JourneyReferences | undefined = refs) => checkJourney(def, r).map((i) => `${i.nodeId ?? "-"}: ${i.message}`);
const edit = (change: (d: JourneyDefinition) => void) => {
  const d = featureNudge();
  change(d);
  return d;
};
const node = (d: JourneyDefinition, id: string) => d.nodes.find((n) => n.id === id)!;

describe("checking a journey", () => {
  it("passes the feature nudge as built", () => {
    expect(messages(featureNudge())).toEqual([]);
    expect(referencesOf(featureNudge())).toEqual({ segments: [], templates: ["t-inapp", "t-push"] });
  });

  it.each<[string, (d: JourneyDefinition) => void, string[]]>([
    ["no trigger", (d) => (d.nodes = d.nodes.filter((n) => n.id !== "start"), (d.edges = d.edges.filter((e) => e.from !== "start"))), ["-: A journey starts with a trigger: add one."]],
    [
      "two triggers",
      (d) => d.nodes.push({ id: "start2", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "api" } }),
      ["start2: A journey has exactly one trigger: remove this one or the other.", "start2: “Next” leads nowhere: connect it to the next step (or an exit)."],
    ],
    ["an exit without an edge", (d) => (d.edges = d.edges.filter((e) => e.id !== "e4")), ["saw: “Everyone else” leads nowhere: connect it to the next step (or an exit).", "inapp: Nobody can reach this step: connect something to it, or remove it."]],
    ["a send without a template", (d) => delete (node(d, "push") as Extract<JourneyNode, { kind: "send" }>).templateId, ["push: Choose the message to send."]],
    ["a template of another channel", (d) => ((node(d, "push") as Extract<JourneyNode, { kind: "send" }>).templateId = "t-email"), ["push: This is a email message; the step sends push."]],
    ["a deleted template", (d) => ((node(d, "push") as Extract<JourneyNode, { kind: "send" }>).templateId = "gone"), ["push: This message no longer exists: choose another."]],
    ["a wait without a duration", (d) => ((node(d, "wait") as Extract<JourneyNode, { kind: "wait" }>).wait = { type: "duration" }), ["wait: Choose how long to wait."]],
    ["a branch case without a condition", (d) => delete (node(d, "saw") as Extract<JourneyNode, { kind: "branch" }>).cases[0]!.condition, ["saw: Case “Saw the result” needs a condition."]],
    ["an edge into the trigger", (d) => (d.edges.find((e) => e.id === "e6")!.to = "start"), ["push: Nothing can lead back into the trigger.", "push: “Next” leads nowhere: connect it to the next step (or an exit)."]],
    ["an edge from an exit the node does not have", (d) => d.edges.push({ id: "e9", from: "done", exit: "next", to: "push" }), ["done: This exit has no exit “next” any more: remove the connection."]],
    ["a goal without its event", (d) => (d.settings.goal = { type: "event", filters: [], window: { amount: 1, unit: "days" } }), ["-: The goal: choose the event."]],
    ["an unknown segment trigger", (d) => ((node(d, "start") as Extract<JourneyNode, { kind: "trigger" }>).trigger = { type: "segment_entered", segmentId: "nope" }), ["start: This segment no longer exists (or is archived): choose another."]],
  ])("%s", (_name, change, expected) => {
    expect(messages(edit(change))).toEqual(expected);
  });

  it("marks what only a check with references finds, so the canvas can take those from the server", () => {
    const d = edit((d) => {
      (node(d, "push") as Extract<JourneyNode, { kind: "send" }>).templateId = "gone";
      (node(d, "start") as Extract<JourneyNode, { kind: "trigger" }>).trigger = { type: "segment_entered", segmentId: "nope" };
      d.settings.exitCriteria = { type: "segment", segmentId: "nope" };
    });
    const withRefs = checkJourney(d, refs);
    const without = checkJourney(d);
    expect(without).toEqual([]);
    expect(withRefs.map((i) => [i.nodeId, i.reference])).toEqual([["start", true], ["push", true], [null, true]]);
  });

  it("refuses a loop without a wait, allows one through a wait", () => {
    const loop = edit((d) => {
      d.edges = d.edges.filter((e) => e.id !== "e6");
      d.edges.push({ id: "e6", from: "push", exit: "next", to: "inapp" });
    });
    expect(messages(loop)).toEqual(["inapp: This step is on a loop with no wait in it: add a wait to the loop.", "push: This step is on a loop with no wait in it: add a wait to the loop."]);
    const throughWait = edit((d) => {
      d.edges = d.edges.filter((e) => e.id !== "e6");
      d.edges.push({ id: "e6", from: "push", exit: "next", to: "wait" });
    });
    expect(messages(throughWait)).toEqual([]);
  });

  it("asks a split to add up to 100 % with one holdout at most", () => {
    const split = edit((d) => {
      d.nodes.push({ id: "ab", kind: "split", position: { x: 0, y: 0 }, arms: [{ id: "a", name: "A", percent: 50, holdout: false }, { id: "b", name: "Holdout", percent: 40, holdout: true }] });
      d.edges.find((e) => e.id === "e4")!.to = "ab";
      d.edges.push({ id: "e7", from: "ab", exit: "a", to: "inapp" }, { id: "e8", from: "ab", exit: "b", to: "done" });
    });
    expect(messages(split)).toEqual(["ab: The arms add up to 90 %: they must add up to 100 %."]);
  });

  it("a wait for an event has two exits, both to be connected", () => {
    const d = edit((d) => ((node(d, "wait") as Extract<JourneyNode, { kind: "wait" }>).wait = { type: "event", event: "order_completed", filters: [], timeout: { amount: 4, unit: "hours" } }));
    expect(exitsOf(node(d, "wait")).map((x) => x.id)).toEqual(["event", "timeout"]);
    expect(messages(d)).toEqual(["wait: This wait has no exit “next” any more: remove the connection.", "wait: “Event happened” leads nowhere: connect it to the next step (or an exit).", "wait: “Timed out” leads nowhere: connect it to the next step (or an exit).", "saw: Nobody can reach this step: connect something to it, or remove it."]);
  });

  it("never throws, whatever edges a canvas sends, and a chain of any length is fine", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 250 }), fc.array(fc.tuple(fc.nat(260), fc.nat(260)), { maxLength: 60 }), (length, extra) => {
        const nodes: JourneyNode[] = [
          { id: "n0", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "api" } },
          ...Array.from({ length }, (_, i): JourneyNode => ({ id: `n${i + 1}`, kind: "wait", position: { x: 0, y: 0 }, wait: { type: "duration", duration: { amount: 1, unit: "hours" } } })),
          { id: `n${length + 1}`, kind: "exit", position: { x: 0, y: 0 } },
        ];
        const edges = nodes.slice(0, -1).map((n, i) => ({ id: `e${i}`, from: n.id, exit: "next", to: nodes[i + 1]!.id }));
        const chain: JourneyDefinition = { schemaVersion: 1, nodes, edges, settings: { reentry: { mode: "never" } } };
        expect(checkJourney(chain)).toEqual([]);
        const messy = { ...chain, edges: [...edges, ...extra.map(([a, b], i) => ({ id: `x${i}`, from: `n${a}`, exit: "next", to: `n${b}` }))] };
        expect(() => checkJourney(messy)).not.toThrow();
      }),
    );
  });
});
