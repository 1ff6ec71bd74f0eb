import { describe, expect, it } from "vitest";
import { rejectUnsafeRequest } from "./csrf";

const url = "http://localhost:3000/api/trpc/members.invite";

describe("rejectUnsafeRequest", () => {
  it("lets queries (GET) through", () => {
    expect(rejectUnsafeRequest(new Request(url))).toBeNull();
  });

  it("accepts a same-origin JSON POST", () => {
    const req = new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:3000", host: "localhost:3000" },
      body: "{}",
    });
    expect(rejectUnsafeRequest(req)).toBeNull();
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""])(
    "refuses a POST sent as %j with 415",
    (contentType) => {
      const headers = new Headers({ host: "localhost:3000" });
      if (contentType) headers.set("content-type", contentType);
      const res = rejectUnsafeRequest(new Request(url, { method: "POST", headers, body: "x" }));
      expect(res?.status).toBe(415);
    },
  );

  it("refuses a JSON POST from another origin", () => {
    const req = new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example", host: "localhost:3000" },
      body: "{}",
    });
    expect(rejectUnsafeRequest(req)?.status).toBe(403);
  });

  it.each([
    ["another scheme", "https://localhost:3000", {}],
    ["another port", "http://localhost:3001", {}],
    ["the literal null origin", "null", {}],
    ["a proxy-reported https site called over http", "http://app.example", { "x-forwarded-proto": "https", "x-forwarded-host": "app.example" }],
  ])("refuses an Origin with %s", (_name, origin, extra) => {
    const req = new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json", origin, host: "localhost:3000", ...extra },
      body: "{}",
    });
    expect(rejectUnsafeRequest(req)?.status).toBe(403);
  });

  it("accepts the origin a trusted proxy reports (scheme and host)", () => {
    const req = new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://app.example", host: "10.0.0.5:3000", "x-forwarded-proto": "https", "x-forwarded-host": "app.example" },
      body: "{}",
    });
    expect(rejectUnsafeRequest(req)).toBeNull();
  });

  it("refuses other methods", () => {
    expect(rejectUnsafeRequest(new Request(url, { method: "PUT", body: "{}" }))?.status).toBe(405);
  });
});
