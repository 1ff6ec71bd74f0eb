import { describe, expect, it } from "vitest";
import { addStep, copySteps, insertOnEdge, parseClipboard, pasteSteps, removeSteps } from "./editing";
import { layoutJourney } from "./layout";
import { checkJourney } from "./graph";
import { emptyJourney, type JourneyDefinition } from "./schema";

function start(): JourneyDefinition {
  const def = emptyJourney();
  def.nodes.push({ id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "event", event: "signed_up", filters: [] } });
  return def;
}

describe("journey editing", () => {
  it("adds a step after the selected one through its first free exit, below it", () => {
    const a = addStep(start(), "wait", { afterId: "trigger" });
    expect(a.id).toBe("wait1");
    expect(a.def.edges).toEqual([{ id: "e1", from: "trigger", exit: "next", to: "wait1" }]);
    expect(a.def.nodes[1]!.position).toEqual({ x: 0, y: 140 });
    const b = addStep(a.def, "branch", { afterId: "wait1" });
    const yes = addStep(b.def, "send", { afterId: b.id });
    const no = addStep(yes.def, "exit", { afterId: b.id });
    expect(no.def.edges.filter((e) => e.from === b.id).map((e) => e.exit)).toEqual(["case1", "else"]);
    // Side by side, not on top of each other.
    expect(no.def.nodes.find((n) => n.id === no.id)!.position.x).toBeGreaterThan(no.def.nodes.find((n) => n.id === yes.id)!.position.x);
  });

  it("adds a dropped step where it was dropped, unconnected", () => {
    const a = addStep(start(), "exit", { position: { x: 300.4, y: 80.6 } });
    expect(a.def.nodes[1]!.position).toEqual({ x: 300, y: 81 });
    expect(a.def.edges).toEqual([]);
  });

  it("inserts onto a connection: A → new → B, and moves what is below down", () => {
    let def = addStep(start(), "send", { afterId: "trigger" }).def;
    def = addStep(def, "exit", { afterId: "send1" }).def;
    const edge = def.edges.find((e) => e.from === "trigger")!;
    const r = insertOnEdge(def, edge.id, "wait")!;
    expect(r.def.edges.map((e) => `${e.from}.${e.exit}→${e.to}`).sort()).toEqual(["send1.next→exit1", "trigger.next→wait1", "wait1.next→send1"]);
    expect(r.def.nodes.find((n) => n.id === "send1")!.position.y).toBe(280);
    expect(r.def.nodes.find((n) => n.id === "exit1")!.position.y).toBe(420);
    expect(insertOnEdge(def, "nope", "wait")).toBeNull();
  });

  it("an exit inserted on a connection leaves the rest unreachable — and the check says so", () => {
    let def = addStep(start(), "send", { afterId: "trigger" }).def;
    def = insertOnEdge(def, def.edges[0]!.id, "exit")!.def;
    expect(def.edges.some((e) => e.from === "exit1")).toBe(false);
    expect(checkJourney(def).some((i) => i.nodeId === "send1" && /Nobody can reach/.test(i.message))).toBe(true);
  });

  it("never removes the trigger; removes a step's connections with it", () => {
    let def = addStep(start(), "send", { afterId: "trigger" }).def;
    def = removeSteps(def, ["trigger", "send1"]);
    expect(def.nodes.map((n) => n.id)).toEqual(["trigger"]);
    expect(def.edges).toEqual([]);
  });

  it("copies steps with the connections among them and pastes them with fresh ids", () => {
    let def = addStep(start(), "wait", { afterId: "trigger" }).def;
    def = addStep(def, "send", { afterId: "wait1" }).def;
    const clip = copySteps(def, ["trigger", "wait1", "send1"])!;
    expect(clip.nodes.map((n) => n.id)).toEqual(["wait1", "send1"]);
    expect(clip.edges).toEqual([{ id: "e2", from: "wait1", exit: "next", to: "send1" }]);
    const round = parseClipboard(JSON.stringify(clip))!;
    const pasted = pasteSteps(def, round);
    expect(pasted.ids).toEqual(["wait2", "send2"]);
    expect(pasted.def.edges.at(-1)).toEqual({ id: "e3", from: "wait2", exit: "next", to: "send2" });
    expect(pasted.def.nodes.find((n) => n.id === "wait2")!.position).toEqual({ x: 40, y: 180 });
    // The copy is independent of the original.
    expect(pasted.def.nodes.find((n) => n.id === "wait2")).not.toBe(def.nodes.find((n) => n.id === "wait1"));
    expect(copySteps(def, ["trigger"])).toBeNull();
    expect(parseClipboard("hello")).toBeNull();
    expect(parseClipboard('{"kind":"other"}')).toBeNull();
  });

  it("lays a branching journey out top to bottom with no overlaps, the trigger at the origin", () => {
    let def = start();
    def = addStep(def, "branch", { afterId: "trigger" }).def;
    def = addStep(def, "send", { afterId: "branch1" }).def;
    def = addStep(def, "exit", { afterId: "branch1" }).def;
    def = addStep(def, "exit", { afterId: "send1" }).def;
    // Scramble, then lay out.
    def = { ...def, nodes: def.nodes.map((n, i) => ({ ...n, position: { x: i * 7, y: -i * 13 } })) };
    const laid = layoutJourney(def);
    const at = (id: string) => laid.nodes.find((n) => n.id === id)!.position;
    expect(at("trigger")).toEqual({ x: 0, y: 0 });
    expect(at("branch1").y).toBeGreaterThan(0);
    expect(at("send1").y).toBeGreaterThan(at("branch1").y);
    expect(at("exit2").y).toBeGreaterThan(at("send1").y);
    // The branch's exits left to right in their order: "Case 1" (→ send, with more below it) left of "Everyone else".
    expect(at("send1").x).toBeLessThan(at("exit1").x);
    // …and the other way round: "Case 1" → exit, "Everyone else" → send (the feature nudge's shape).
    let other = start();
    other = addStep(other, "branch", { afterId: "trigger" }).def;
    other = addStep(other, "exit", { afterId: "branch1" }).def;
    other = addStep(other, "send", { afterId: "branch1" }).def;
    other = addStep(other, "wait", { afterId: "send1" }).def;
    other = addStep(other, "exit", { afterId: "wait1" }).def;
    const otherLaid = layoutJourney(other);
    const x = (id: string) => otherLaid.nodes.find((n) => n.id === id)!.position.x;
    expect(x("exit1")).toBeLessThan(x("send1"));
    const boxes = laid.nodes.map((n) => n.position);
    for (const [i, a] of boxes.entries()) for (const b of boxes.slice(i + 1)) expect(Math.abs(a.x - b.x) >= 240 || Math.abs(a.y - b.y) >= 92).toBe(true);
  });
});
