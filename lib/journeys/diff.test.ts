import { describe, expect, it } from "vitest";
import { describeDiff, diffJourneys } from "./diff";
import { ZJourneyDefinition, type JourneyDefinition } from "./schema";

const v1 = (): JourneyDefinition =>
  ZJourneyDefinition.parse({
    schemaVersion: 1,
    nodes: [
      { id: "start", kind: "trigger", trigger: { type: "api" } },
      { id: "wait", kind: "wait", wait: { type: "duration", duration: { amount: 24, unit: "hours" } } },
      { id: "send", kind: "send", label: "Reminder email", channel: "email", templateId: "t1" },
      { id: "done", kind: "exit" },
    ],
    edges: [
      { id: "e1", from: "start", exit: "next", to: "wait" },
      { id: "e2", from: "wait", exit: "next", to: "send" },
      { id: "e3", from: "send", exit: "next", to: "done" },
    ],
  });

describe("what changed between two versions", () => {
  it("names steps added, removed and changed, connections and settings; moving a step is no change", () => {
    const v2 = v1();
    v2.nodes[1] = { ...v2.nodes[1]!, position: { x: 500, y: 80 } };
    v2.nodes[2] = { ...(v2.nodes[2] as Extract<JourneyDefinition["nodes"][number], { kind: "send" }>), templateId: "t2" };
    v2.nodes.push({ id: "sms", kind: "send", position: { x: 0, y: 0 }, channel: "sms", templateId: "t3", onFailure: "continue" });
    v2.nodes = v2.nodes.filter((n) => n.id !== "wait");
    v2.edges = [
      { id: "e1", from: "start", exit: "next", to: "send" },
      { id: "e3", from: "send", exit: "next", to: "sms" },
      { id: "e4", from: "sms", exit: "next", to: "done" },
    ];
    v2.settings = { ...v2.settings, phase: "retention" };
    const diff = diffJourneys(v1(), v2);
    expect(describeDiff(diff)).toEqual(["Added Send", "Removed Wait", "Reminder email: changed message", "Connections: 3 added, 3 removed", "Settings changed: lifecycle phase"]);
    expect(describeDiff(diffJourneys(v1(), { ...v1(), nodes: v1().nodes.map((n) => ({ ...n, position: { x: 9, y: 9 } })) }))).toEqual([]);
  });

  it("says what a changed step did and does when one line shows it", () => {
    const v2 = v1();
    v2.nodes[1] = { ...v2.nodes[1]!, wait: { type: "duration", duration: { amount: 20, unit: "hours" } } } as JourneyDefinition["nodes"][number];
    expect(describeDiff(diffJourneys(v1(), v2))).toEqual(["Wait: 24 hours → 20 hours"]);
  });
});
