import { describe, expect, it } from "vitest";
import { mergeTraits, profileFields } from "./profile";

describe("mergeTraits", () => {
  it("adds and overwrites, a null removes, undefined leaves alone", () => {
    expect(mergeTraits({ plan: "free", age: 30, city: "Berlin" }, { plan: "pro", age: null, city: undefined, goal: "run_faster" })).toEqual({
      plan: "pro",
      city: "Berlin",
      goal: "run_faster",
    });
  });
});

describe("profileFields", () => {
  it("takes email and phone from traits, device facts from context, country from traits or location", () => {
    const fields = profileFields(
      { email: " Ada@Example.COM ", phone: "+49 30 1234", address: { country: "DE" } },
      { timezone: "Europe/Berlin", locale: "de-DE" },
    );
    expect(fields).toMatchObject({ email: "ada@example.com", phone: "+49 30 1234", timezone: "Europe/Berlin", locale: "de-DE", country: "DE" });
  });

  it("keeps earlier device facts when a message has none, and drops a removed email", () => {
    const before = profileFields({ email: "a@b.c" }, { timezone: "Europe/Paris", locale: "fr-FR" });
    const after = profileFields({}, {}, before);
    expect(after).toMatchObject({ email: null, timezone: "Europe/Paris", locale: "fr-FR" });
  });
});
