import { describe, expect, it } from "vitest";
import { z } from "zod";
import { plainMessage } from "./messages";

const messagesOf = (schema: z.ZodType, input: unknown) => {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("expected a failure");
  return result.error.issues.map((i) => `${i.path.join(".")} ${plainMessage(i)}`);
};

describe("validation messages for people", () => {
  it("says what zod's defaults mean, in words", () => {
    const schema = z.object({
      amount: z.number().min(0),
      name: z.string().min(1),
      values: z.array(z.string()).min(1),
      unit: z.enum(["minutes", "days"]),
      times: z.number().int(),
      label: z.string().max(3),
      count: z.number(),
      email: z.email(),
    });
    expect(messagesOf(schema, { amount: -1, name: "", values: [], unit: "weeks", times: 1.5, label: "abcd", count: Number.NaN, email: "x" })).toEqual([
      "amount must be at least 0",
      "name is required",
      "values needs at least one value",
      "unit must be one of “minutes”, “days”",
      "times must be a whole number",
      "label must be at most 3 characters",
      "count is required",
      "email must be an email address",
    ]);
  });

  it("keeps messages we wrote ourselves", () => {
    expect(messagesOf(z.string().regex(/^a/, { message: "must start with a" }), "b")).toEqual([" must start with a"]);
  });

  it("never leaves a developer's phrase in a message", () => {
    const schema = z.object({ op: z.discriminatedUnion("op", [z.object({ op: z.literal("eq") }), z.object({ op: z.literal("ne") })]), n: z.number().positive(), big: z.number().max(10) });
    for (const message of messagesOf(schema, { op: { op: "zz" }, n: 0, big: 11 })) {
      expect(message).not.toMatch(/expected|received|Invalid|Too (small|big)|>=|<=/);
    }
  });
});
