import { describe, expect, it } from "vitest";
import { journeyDefinitionJsonSchema } from "./http";

describe("the journey definition as JSON Schema", () => {
  it("is generated from the zod schema and names every node kind and trigger", () => {
    const text = JSON.stringify(journeyDefinitionJsonSchema());
    for (const kind of ["trigger", "wait", "branch", "split", "send", "update", "webhook", "exit"]) expect(text).toContain(`"const":"${kind}"`);
    for (const trigger of ["event", "segment_entered", "segment_exited", "schedule", "api"]) expect(text).toContain(`"const":"${trigger}"`);
    expect(journeyDefinitionJsonSchema()).toMatchObject({ $id: "https://junction.dev/schema/journey-definition.json", type: "object" });
  });
});
