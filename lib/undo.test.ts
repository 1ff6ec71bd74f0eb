import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COALESCE_MS, createHistory, record, redo, seal, undo } from "./undo";

describe("undo history", () => {
  it("undoes and redoes edits in order", () => {
    let h = createHistory("a");
    h = record(h, "b");
    h = record(h, "c");
    expect(undo(h).present).toBe("b");
    expect(undo(undo(h)).present).toBe("a");
    expect(undo(undo(undo(h))).present).toBe("a");
    expect(redo(undo(undo(h))).present).toBe("b");
    expect(redo(redo(undo(undo(h)))).present).toBe("c");
    // A new edit after undo drops the redo steps.
    const branched = record(undo(h), "x");
    expect(branched.future).toEqual([]);
    expect(undo(branched).present).toBe("b");
  });

  it("coalesces edits of one group made close together, not others", () => {
    let h = createHistory("");
    h = record(h, "G", { group: "value", now: 0 });
    h = record(h, "Ge", { group: "value", now: 300 });
    h = record(h, "Ger", { group: "value", now: 600 });
    expect(h.present).toBe("Ger");
    expect(undo(h).present).toBe("");
    h = record(h, "Ger!", { group: "value", now: 600 + COALESCE_MS + 1 });
    expect(undo(h).present).toBe("Ger");
    h = record(h, "other", { group: "name", now: 600 + COALESCE_MS + 2 });
    expect(undo(h).present).toBe("Ger!");
    // Leaving the field ends the burst even within the time.
    h = seal(record(h, "other1", { group: "name", now: 600 + COALESCE_MS + 3 }));
    h = record(h, "other12", { group: "name", now: 600 + COALESCE_MS + 4 });
    expect(undo(h).present).toBe("other1");
  });

  it("undo then redo of any sequence of edits is the identity", () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 30 }), fc.nat(40), (edits, steps) => {
        let h = createHistory(-1);
        for (const e of edits) h = record(h, e);
        let u = h;
        const n = Math.min(steps, h.past.length);
        for (let i = 0; i < n; i++) u = undo(u);
        for (let i = 0; i < n; i++) u = redo(u);
        expect(u.present).toBe(h.present);
        expect(u.past).toEqual(h.past);
      }),
    );
  });
});
