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

  it("refuses other methods", () => {
    expect(rejectUnsafeRequest(new Request(url, { method: "PUT", body: "{}" }))?.status).toBe(405);
  });
});
