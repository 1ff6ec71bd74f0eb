import { describe, expect, it } from "vitest";
import { memberSummary, personLabel, personName } from "./display";

describe("naming a person", () => {
  it("prefers a name from traits, then email, then user id", () => {
    expect(personLabel({ traits: { first_name: "Ada", last_name: "Lovelace" }, email: "ada@x.io", userId: "u1" })).toEqual({ primary: "Ada Lovelace", secondary: "ada@x.io", anonymous: false });
    expect(personLabel({ traits: {}, email: "ada@x.io", userId: "u1" })).toEqual({ primary: "ada@x.io", secondary: "u1", anonymous: false });
    expect(personLabel({ traits: { plan: "pro" }, userId: "u1" })).toEqual({ primary: "u1", secondary: null, anonymous: false });
    expect(personLabel({ traits: null, email: null, userId: null })).toEqual({ primary: "Anonymous visitor", secondary: null, anonymous: true });
  });

  it("reads the usual name traits and ignores blanks and non-strings", () => {
    expect(personName({ name: "  Grace Hopper " })).toBe("Grace Hopper");
    expect(personName({ firstName: "Grace" })).toBe("Grace");
    expect(personName({ name: "", first_name: 42, last_name: "Hopper" })).toBe("Hopper");
    expect(personName({ name: { first: "x" } })).toBeNull();
    expect(personName(undefined)).toBeNull();
  });

  it("takes a name already read from traits, and summarises a person for lists", () => {
    expect(personLabel({ name: "Ada Lovelace", email: "ada@x.io" }).primary).toBe("Ada Lovelace");
    expect(memberSummary({ id: "p1", userId: "u1", email: null, traits: { first_name: "Grace", last_name: "Hopper", plan: "pro" } })).toEqual({ id: "p1", userId: "u1", email: null, name: "Grace Hopper" });
  });

  it("falls back to the email trait when the column is empty", () => {
    expect(personLabel({ traits: { email: "t@x.io" }, userId: "u9" }).primary).toBe("t@x.io");
  });
});
