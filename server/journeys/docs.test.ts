import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkJourney } from "@/lib/journeys/graph";
import { ZJourneyDefinition } from "@/lib/journeys/schema";

describe("docs/journey-definition.md", () => {
  it("every example is a valid, complete journey", () => {
    const text = readFileSync(path.resolve(import.meta.dirname, "../../docs/journey-definition.md"), "utf8");
    const examples = [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as unknown);
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const [i, example] of examples.entries()) {
      const parsed = ZJourneyDefinition.safeParse(example);
      expect(parsed.success, `example ${i + 1}: ${parsed.error?.message}`).toBe(true);
      expect(checkJourney(parsed.data!), `example ${i + 1}`).toEqual([]);
    }
  });
});
