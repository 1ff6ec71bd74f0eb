import { describe, expect, it } from "vitest";
import { buttonUrlProblem, ZInAppMessageContent } from "./inapp";

describe("ZInAppMessageContent", () => {
  it("keeps a rendered in-app template; empty button fields mean no button", () => {
    expect(ZInAppMessageContent.parse({ title: " Want a short analysis? ", body: "We can walk you through it.", buttonLabel: "", buttonUrl: "" })).toEqual({
      title: "Want a short analysis?",
      body: "We can walk you through it.",
      buttonLabel: null,
      buttonUrl: null,
    });
    expect(ZInAppMessageContent.parse({ title: "Hi", body: "", buttonLabel: "Show me", buttonUrl: "/tariffs?from=inapp" })).toMatchObject({ buttonLabel: "Show me", buttonUrl: "/tariffs?from=inapp" });
  });

  it.each(["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,<script>", "vbscript:x"])("refuses the button link %j", (url) => {
    expect(buttonUrlProblem(url)).toMatch(/must not be a javascript:/);
    expect(ZInAppMessageContent.safeParse({ title: "Hi", body: "", buttonLabel: "Go", buttonUrl: url }).success).toBe(false);
  });

  it.each(["https://example.com/x", "/relative", "myapp://deep/link", "mailto:help@example.com"])("accepts the button link %j", (url) => {
    expect(buttonUrlProblem(url)).toBeNull();
  });

  it("refuses a missing title, text beyond the limits and what Postgres cannot store", () => {
    expect(ZInAppMessageContent.safeParse({ title: "  ", body: "" }).success).toBe(false);
    expect(ZInAppMessageContent.safeParse({ title: "Hi", body: "x".repeat(20_001) }).success).toBe(false);
    expect(ZInAppMessageContent.safeParse({ title: "a\u0000b", body: "" }).success).toBe(false);
    expect(ZInAppMessageContent.safeParse({ title: "Hi" }).success).toBe(false);
  });
});
