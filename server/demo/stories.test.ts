import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_EVENTS, DEMO_PROFILES, DEMO_SEED, generateDemoData } from "@/lib/demo/generator";
import { durationMs } from "@/lib/journeys/schema";
import { JOURNEY_STARTERS, placeholderIds } from "@/lib/journeys/templates";
import { compileEvaluator, type EvalEvent, type EvalInput } from "@/lib/segments/evaluate";
import { validate, walk, type SegmentDefinition } from "@/lib/segments/schema";
import { STARTER_SEGMENTS } from "@/lib/segments/starters";

/**
 * The demo workspace must tell the stories the docs tell: every starter segment, every
 * segment a journey template creates and every segment example in the README and docs/ has
 * members in it, and none is most of it; every journey template finds people to take in.
 * Same data as `npm start` seeds (same size, seed and generator), evaluated in memory.
 */
const root = path.resolve(import.meta.dirname, "../..");
const now = new Date("2026-06-01T12:00:00.000Z");

function demoPeople(): EvalInput[] {
  const people: EvalInput[] = [];
  let current: { profile: EvalInput["profile"]; events: EvalEvent[] } | null = null;
  for (const item of generateDemoData({ workspaceId: "ws_demo", profiles: DEMO_PROFILES, events: DEMO_EVENTS, seed: DEMO_SEED, now })) {
    if (item.table === "profiles") {
      current = { profile: item.row, events: [] };
      people.push({ profile: current.profile, events: current.events, memberships: new Set(), subscriptions: new Set() });
    } else if (item.table === "events") {
      current!.events.push({ name: item.row.name, timestamp: item.row.timestamp, properties: item.row.properties });
    }
  }
  return people;
}

/** Every ```json block of these files that is a segment definition. */
function documentedExamples(files: string[]): { where: string; definition: SegmentDefinition }[] {
  const examples: { where: string; definition: SegmentDefinition }[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    for (const [i, match] of [...text.matchAll(/```json\n([\s\S]*?)```/g)].entries()) {
      let value: unknown;
      try {
        value = JSON.parse(match[1]!);
      } catch {
        continue;
      }
      if (typeof value !== "object" || value === null || !("root" in value)) continue;
      const result = validate(value);
      expect(result.ok, `${file} example ${i + 1} is not a valid definition`).toBe(true);
      if (result.ok) examples.push({ where: `${file} example ${i + 1}`, definition: result.definition });
    }
  }
  return examples;
}

describe("the demo workspace tells the documented stories", () => {
  const people = demoPeople();
  const stories = [
    ...STARTER_SEGMENTS.map((s) => ({ where: `starter segment "${s.name}"`, definition: s.definition })),
    ...JOURNEY_STARTERS.flatMap((s) => s.needs.flatMap((n) => (n.kind === "segment" ? [{ where: `journey template "${s.name}": segment "${n.name}"`, definition: n.definition }] : []))),
    ...documentedExamples(["README.md", "docs/segment-definition.md"]),
  ];

  it("finds the examples (README headline and docs)", () => {
    expect(stories.length).toBeGreaterThanOrEqual(STARTER_SEGMENTS.length + 2);
  });

  it.each(stories)("$where has members and is at most 60 % of the people", ({ definition }) => {
    const matches = compileEvaluator(definition, now);
    const members = people.filter((p) => matches(p)).length;
    expect(members).toBeGreaterThan(0);
    expect(members).toBeLessThanOrEqual(0.6 * people.length);
  });

  // What a journey template names: its trigger's, waits', goal's and conditions' events.
  const templates = JOURNEY_STARTERS.map((starter) => {
    const def = starter.build(placeholderIds(starter));
    const events = new Set<string>();
    const conditions: SegmentDefinition[] = [];
    for (const node of def.nodes) {
      if (node.kind === "trigger" && node.trigger.type === "event" && node.trigger.event) events.add(node.trigger.event);
      if (node.kind === "wait" && node.wait.type === "event" && node.wait.event) events.add(node.wait.event);
      if (node.kind === "branch") for (const c of node.cases) if (c.condition) conditions.push(c.condition);
    }
    if (def.settings.goal?.type === "event" && def.settings.goal.event) events.add(def.settings.goal.event);
    for (const c of conditions) walk(c.root, (n) => n.type === "event" && events.add(n.event));
    return { where: `journey template "${starter.name}"`, def, events: [...events] };
  });

  it.each(templates)("$where: every event it names happens, and its event trigger took people in during the last 7 days", ({ def, events }) => {
    const happened = new Set(people.flatMap((p) => p.events.map((e) => e.name)));
    expect(events.filter((e) => !happened.has(e))).toEqual([]);
    const trigger = def.nodes.find((n) => n.kind === "trigger");
    if (trigger?.kind !== "trigger" || trigger.trigger.type !== "event") return;
    const { event, count, correlationKey } = trigger.trigger;
    const since = now.getTime() - 7 * 86_400_000;
    // The reach preview's entry: performed it in the last 7 days.
    expect(people.filter((p) => p.events.some((e) => e.name === event && e.timestamp.getTime() >= since)).length).toBeGreaterThan(0);
    if (count) {
      const within = durationMs(count.within);
      const often = people.filter((p) => {
        const times = p.events.filter((e) => e.name === event).map((e) => e.timestamp.getTime());
        return times.some((t, i) => i >= count.atLeast - 1 && t - times[i - count.atLeast + 1]! <= within);
      });
      expect(often.length).toBeGreaterThan(20);
    }
    if (correlationKey) {
      const key = correlationKey.slice("properties.".length);
      expect(people.every((p) => p.events.every((e) => e.name !== event || typeof e.properties[key] === "string"))).toBe(true);
    }
  });
});
