import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateWebhookSecret, signWebhook, verifyWebhookSignature } from "./webhook";

describe("webhook signatures (Junction-Signature: t=…,v1=…)", () => {
  const secret = "whsec_test_0123456789";
  const body = '{"userId":"ada","note":"naïve \u0000 ✓"}';
  const t = 1_700_000_000;
  const now = t * 1000 + 30_000;

  it("is HMAC-SHA256 over “<t>.<body>”, hex, as a receiver computes it in any language", () => {
    const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it("verifies what was signed, from a string or the raw bytes", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body, { now })).toEqual({ ok: true, timestamp: t });
    expect(verifyWebhookSignature(secret, header, Buffer.from(body, "utf8"), { now })).toEqual({ ok: true, timestamp: t });
    // Spaces after commas and unknown schemes (a future v2) are tolerated.
    expect(verifyWebhookSignature(secret, `t=${t}, v0=abc, ${header.split(",")[1]}`, body, { now }).ok).toBe(true);
  });

  it("refuses a changed body, another secret, and old or future timestamps", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body.replace("ada", "eve"), { now })).toEqual({ ok: false, reason: "no signature matches" });
    expect(verifyWebhookSignature("whsec_other", header, body, { now })).toEqual({ ok: false, reason: "no signature matches" });
    expect(verifyWebhookSignature(secret, header, body, { now: (t + 301) * 1000 })).toEqual({ ok: false, reason: "the timestamp is more than 300 seconds away from now" });
    expect(verifyWebhookSignature(secret, header, body, { now: (t - 301) * 1000 }).ok).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { now: (t + 3600) * 1000, toleranceSeconds: 7200 }).ok).toBe(true);
    // The timestamp is part of what is signed: moving it breaks the signature.
    expect(verifyWebhookSignature(secret, header.replace(`t=${t}`, `t=${t + 10}`), body, { now }).ok).toBe(false);
  });

  it("takes several secrets while one is being replaced", () => {
    const header = signWebhook("whsec_new", body, t);
    expect(verifyWebhookSignature(["whsec_old", "whsec_new"], header, body, { now }).ok).toBe(true);
    expect(verifyWebhookSignature(["whsec_old", ""], header, body, { now }).ok).toBe(false);
  });

  it.each([
    [undefined, "no Junction-Signature header"],
    ["", "no Junction-Signature header"],
    ["garbage", "the signature header has no timestamp (t=)"],
    [`t=${t}`, "the signature header has no v1 signature"],
    [`t=${t},v1=abc`, "the signature header has no v1 signature"],
    [`t=-5,v1=${"0".repeat(64)}`, "the signature header has no timestamp (t=)"],
    [`t=1e9,v1=${"0".repeat(64)}`, "the signature header has no timestamp (t=)"],
    [`t=${t},v1=${"z".repeat(64)}`, "the signature header has no v1 signature"],
    [`t=${t},v1=${"0".repeat(64)}\u0000`, "the signature header has no v1 signature"],
    ["t=1,".repeat(2_000), "the signature header is too long"],
  ])("explains a malformed header %#", (header, reason) => {
    expect(verifyWebhookSignature(secret, header, body, { now })).toEqual({ ok: false, reason });
  });

  it("makes long random secrets", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
