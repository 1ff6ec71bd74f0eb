import { z } from "zod";
import { ZJourneyDefinition } from "@/lib/journeys/schema";

/** The journey definition format as JSON Schema (draft 2020-12), generated from the zod schema. */
export function journeyDefinitionJsonSchema() {
  return {
    $id: "https://junction.dev/schema/journey-definition.json",
    title: "Junction journey definition",
    description: "Nodes joined by edges from a node's named exit; see docs/journey-definition.md.",
    ...z.toJSONSchema(ZJourneyDefinition, { target: "draft-2020-12", io: "input" }),
  };
}
