import { describe, expect, it } from "vitest";
import { chunkRows, guessMapping, toImportRow, typedValue } from "./csv-import";

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

describe("import chunks", () => {
  it("split by rows and by bytes, in order, a huge row alone", () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ line: i, text: i === 3 ? "x".repeat(500) : "y" }));
    const chunks = chunkRows(rows, 3, 1_000);
    expect(chunks.flat()).toEqual(rows);
    expect(chunks.map((c) => c.map((r) => r.line))).toEqual([[0, 1, 2], [3], [4, 5, 6]]);
    expect(chunkRows([], 3, 1_000)).toEqual([]);
  });

  it("a row with a NUL or broken Unicode is refused on its own line", () => {
    const mapping = { idColumn: "id", emailColumn: null };
    expect(toImportRow({ id: "u\u0000", plan: "pro" }, mapping, 2)).toMatchObject({ ok: false, line: 2 });
    expect(toImportRow({ id: "u", plan: "cut \ud83d" }, mapping, 3)).toMatchObject({ ok: false, line: 3, error: expect.stringMatching(/broken Unicode/) });
    expect(toImportRow({ id: "u", "pl\u0000an": "x" }, mapping, 4)).toMatchObject({ ok: false, line: 4 });
  });
});
