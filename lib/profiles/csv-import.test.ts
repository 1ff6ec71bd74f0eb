import { describe, expect, it } from "vitest";
import { guessMapping, toImportRow, typedValue } from "./csv-import";

describe("CSV import rows", () => {
  it("finds the id and email columns", () => {
    expect(guessMapping(["User_ID", "E-Mail", "plan"])).toEqual({ idColumn: "User_ID", emailColumn: "E-Mail" });
    expect(guessMapping(["id", "plan"])).toEqual({ idColumn: "id", emailColumn: null });
    expect(guessMapping(["name", "plan"])).toBeNull();
  });

  it.each([
    ["42", 42],
    ["-3.5", -3.5],
    ["007", "007"],
    ["TRUE", true],
    ["false", false],
    ["Berlin", "Berlin"],
    ["  ", undefined],
  ])("types %j as %j", (raw, expected) => {
    expect(typedValue(raw)).toEqual(expected);
  });

  it("turns the other columns into typed traits", () => {
    const result = toImportRow({ id: "u-1", email: " ada@example.com ", plan: "pro", age: "36", vip: "true", city: "" }, { idColumn: "id", emailColumn: "email" }, 2);
    expect(result).toEqual({ ok: true, row: { line: 2, id: "u-1", email: "ada@example.com", traits: { plan: "pro", age: 36, vip: true } } });
  });

  it("reports what is wrong with a row", () => {
    expect(toImportRow({ id: "", email: "x" }, { idColumn: "id", emailColumn: "email" }, 3)).toEqual({
      ok: false,
      line: 3,
      error: "id is required; email is not a valid address",
    });
  });
});
