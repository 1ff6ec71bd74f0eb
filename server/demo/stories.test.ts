import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_EVENTS, DEMO_PROFILES, DEMO_SEED, generateDemoData } from "@/lib/demo/generator";
import { compileEvaluator, type EvalEvent, type EvalInput } from "@/lib/segments/evaluate";
import { validate, type SegmentDefinition } from "@/lib/segments/schema";
import { STARTER_SEGMENTS } from "@/lib/segments/starters";

/**
 * The demo workspace must tell the stories the docs tell: every starter segment and every
 * segment example in the README and docs/ has members in it, and none is most of it. Same
 * data as `npm start` seeds (same size, seed and generator), evaluated in memory.
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
});
