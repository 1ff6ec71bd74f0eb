import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit";

describe("RateLimiter", () => {
  it("allows the burst, then refuses with the wait until enough tokens are back", () => {
    const limiter = new RateLimiter(10, 10);
    expect(limiter.take("k", 10, 0)).toEqual({ ok: true });
    expect(limiter.take("k", 5, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take("k", 5, 500)).toEqual({ ok: true });
    expect(limiter.take("other", 10, 500)).toEqual({ ok: true });
  });

  it("refuses a single request larger than the burst", () => {
    expect(new RateLimiter(10, 10).take("k", 25, 0)).toEqual({ ok: false, retryAfterSeconds: 2 });
  });
});
