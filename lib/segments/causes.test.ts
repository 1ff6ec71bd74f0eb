import { describe, expect, it } from "vitest";
import { causeText, changeVerb, type MembershipCause } from "./causes";

describe("causeText", () => {
  it("says every cause the history records in plain words", () => {
    const expected: Record<MembershipCause, string> = {
      event: "after an event",
      time: "as time passed",
      definition: "the segment's definition changed",
      merge: "profiles merged",
      deletion: "person deleted",
      repair: "corrected by the periodic check",
    };
    for (const [cause, text] of Object.entries(expected)) expect(causeText(cause as MembershipCause)).toBe(text);
  });

  it("capitalizes a cause that stands on its own", () => {
    expect(causeText("event", { capitalize: true })).toBe("After an event");
    expect(causeText("definition", { capitalize: true })).toBe("The segment's definition changed");
  });

  it("still says something for a cause it does not know", () => {
    expect(causeText("archive" as MembershipCause)).toBe("for another reason");
    expect(causeText("archive" as MembershipCause, { capitalize: true })).toBe("For another reason");
    expect(causeText("constructor" as MembershipCause)).toBe("for another reason");
  });
});

describe("changeVerb", () => {
  it("is Entered or Left", () => {
    expect(changeVerb(true)).toBe("Entered");
    expect(changeVerb(false)).toBe("Left");
  });
});
