/**
 * Token buckets per key: `rate` tokens a second, up to `burst` saved up. The clock is an
 * argument, so tests never sleep.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number = rate,
  ) {}

  /** Takes `cost` tokens for `key`, or says how many seconds until they are there. */
  take(key: string, cost: number, nowMs: number): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    const tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.rate);
    if (cost > this.burst) return { ok: false, retryAfterSeconds: Math.ceil((cost - tokens) / this.rate) };
    if (tokens < cost) {
      this.buckets.set(key, { tokens, at: nowMs });
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - tokens) / this.rate)) };
    }
    this.buckets.set(key, { tokens: tokens - cost, at: nowMs });
    if (this.buckets.size > 10_000) this.buckets.delete(this.buckets.keys().next().value!);
    return { ok: true };
  }
}
