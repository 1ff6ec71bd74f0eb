import { describe, expect, it } from "vitest";
import { plainMessage } from "@/lib/messages";
import { isSubscribed, subscribedGroups, ZSubscriptionChange, ZSubscriptionGroupInput, ZSubscriptionGroupUpdate } from "./schema";

describe("a person's state for a group", () => {
  it("is their own answer, else the group's default: opt-out counts them in, opt-in (or anything else) does not", () => {
    expect(isSubscribed({ mode: "opt_out" }, undefined)).toBe(true);
    expect(isSubscribed({ mode: "opt_out" }, false)).toBe(false);
    expect(isSubscribed({ mode: "opt_in" }, undefined)).toBe(false);
    expect(isSubscribed({ mode: "opt_in" }, true)).toBe(true);
    expect(isSubscribed({ mode: "opt_in" }, null)).toBe(false);
    expect(isSubscribed({ mode: "garbled" }, undefined)).toBe(false);
  });

  it("subscribedGroups: the groups of the workspace they are in; answers about other groups count for nothing", () => {
    const groups = [
      { id: "news", mode: "opt_out" },
      { id: "orders", mode: "opt_out" },
      { id: "sms", mode: "opt_in" },
      { id: "push", mode: "opt_in" },
    ];
    const answers = [
      { groupId: "orders", subscribed: false },
      { groupId: "sms", subscribed: true },
      { groupId: "elsewhere", subscribed: true },
    ];
    expect([...subscribedGroups(groups, answers)].sort()).toEqual(["news", "sms"]);
    expect([...subscribedGroups([], answers)]).toEqual([]);
  });
});

describe("inputs", () => {
  it("a group needs a name, a known channel, mode and purpose; messages read as words", () => {
    expect(ZSubscriptionGroupInput.parse({ name: "  Product news ", channel: "email", mode: "opt_out", purpose: "marketing" })).toEqual({
      name: "Product news",
      description: "",
      channel: "email",
      mode: "opt_out",
      purpose: "marketing",
    });
    const bad = ZSubscriptionGroupInput.safeParse({ name: " ", channel: "fax", mode: "sometimes", purpose: "marketing" });
    expect(bad.success).toBe(false);
    const messages = Object.fromEntries(bad.error!.issues.map((i) => [i.path.join("."), plainMessage(i)]));
    expect(messages.name).toBe("is required");
    expect(messages.channel).toMatch(/^must be one of “email”/);
    expect(messages.mode).toBe("must be one of “opt_out”, “opt_in”");
  });

  it("an update cannot carry a new channel or mode (they are fixed once the group exists)", () => {
    expect(ZSubscriptionGroupUpdate.parse({ name: "News", purpose: "marketing", mode: "opt_out", channel: "sms" })).toEqual({ name: "News", description: "", purpose: "marketing" });
  });

  it("an answer is a group and yes or no, with the wording's version if any", () => {
    expect(ZSubscriptionChange.parse({ groupId: "g", subscribed: false, textVersion: "signup-v3" })).toEqual({ groupId: "g", subscribed: false, textVersion: "signup-v3" });
    const bad = ZSubscriptionChange.safeParse({ groupId: "", subscribed: "yes", textVersion: "a\u0000b" });
    expect(bad.error!.issues.map((i) => [i.path.join("."), plainMessage(i)])).toEqual([
      ["groupId", "is required"],
      ["subscribed", "must be true or false"],
      ["textVersion", expect.stringMatching(/NUL/)],
    ]);
  });
});
