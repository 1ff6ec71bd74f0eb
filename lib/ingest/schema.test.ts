import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES, eventTime, eventTimeProblem, parseMessage } from "./schema";

describe("parseMessage", () => {
  it("accepts the spec's fields and coerces numeric ids", () => {
    const result = parseMessage({
      type: "track",
      event: "purchase",
      userId: 42,
      messageId: "m-1",
      properties: { amount: 99 },
      timestamp: "2026-11-24T10:00:00.000Z",
      context: { timezone: "Europe/Berlin" },
      integrations: { All: true },
    });
    expect(result).toMatchObject({ ok: true, message: { type: "track", userId: "42", event: "purchase", properties: { amount: 99 } } });
  });

  it.each([
    [{ type: "track", event: "x" }, "userId: userId or anonymousId is required"],
    [{ type: "track", userId: "u" }, "event: "],
    [{ type: "nope", userId: "u" }, "type: must be one of"],
    [{ userId: "u" }, "type: must be one of"],
    [{ type: "alias", userId: "u" }, "previousId: "],
    [{ type: "group", userId: "u" }, "groupId: "],
    [{ type: "track", userId: "u", event: "e", timestamp: "yesterday" }, "timestamp: must be an ISO 8601 date"],
    [{ type: "track", userId: "u", event: "e", timestamp: "9999-01-01T00:00:00Z" }, "timestamp: must be an ISO 8601 date"],
    [{ type: "track", userId: "u", event: "e", properties: { a: "x\u0000y" } }, "properties.a: must not contain NUL"],
    [{ type: "identify", userId: "u", traits: [1, 2] }, "traits: "],
    [{ type: "track", userId: "u\ud800", event: "e" }, "userId: must not contain NUL characters or broken Unicode"],
    [{ type: "track", userId: "u", event: "e", context: { "k\u0000": 1 } }, "context: keys must not contain NUL"],
    [{ type: "track", userId: "u", event: "e", timestamp: "March 7" }, "timestamp: must be an ISO 8601 date"],
    [{ type: "track", userId: "u", event: "e", timestamp: 1700000000 }, "timestamp: "],
    ["just a string", "message must be a JSON object"],
  ])("rejects %j naming the field", (raw, message) => {
    const result = parseMessage(raw);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain(message);
  });

  it("forces the endpoint's type and applies batch defaults", () => {
    const single = parseMessage({ type: "track", userId: "u", traits: {} }, { type: "identify" });
    expect(single.ok && single.message.type).toBe("identify");
    const fromBatch = parseMessage(
      { type: "page", anonymousId: "a", context: { locale: "de-DE" } },
      { defaults: { sentAt: "2026-11-24T10:00:00Z", context: { timezone: "UTC", locale: "en-US" } } },
    );
    expect(fromBatch.ok && fromBatch.message.context).toEqual({ timezone: "UTC", locale: "de-DE" });
    expect(fromBatch.ok && fromBatch.message.sentAt?.toISOString()).toBe("2026-11-24T10:00:00.000Z");
  });

  it("rejects messages over 32 KB", () => {
    const result = parseMessage({ type: "track", userId: "u", event: "e", properties: { blob: "x".repeat(MAX_MESSAGE_BYTES) } });
    expect(result).toEqual({ ok: false, error: "message is larger than 32 KB" });
  });

  it("never throws, whatever it is given (property)", () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, maxDepth: 4 }), (raw) => {
        const result = parseMessage(raw);
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });
});

describe("eventTime", () => {
  const receivedAt = new Date("2026-11-24T12:00:00.000Z");
  it("corrects client clock skew: receivedAt − (sentAt − timestamp)", () => {
    // The client's clock is 1 h fast: it says sent at 13:00, happened at 12:59:50.
    const at = eventTime({ timestamp: new Date("2026-11-24T12:59:50Z"), sentAt: new Date("2026-11-24T13:00:00Z") }, receivedAt);
    expect(at.toISOString()).toBe("2026-11-24T11:59:50.000Z");
  });
  it("uses the timestamp as is without sentAt, and receivedAt without a timestamp", () => {
    expect(eventTime({ timestamp: new Date("2026-01-01T00:00:00Z") }, receivedAt).toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(eventTime({}, receivedAt)).toEqual(receivedAt);
  });
  it("an event that happened after it was sent happened when received (a clock glitch, not the future)", () => {
    const at = eventTime({ timestamp: new Date("2026-11-24T13:00:00Z"), sentAt: new Date("2026-11-24T12:00:00Z") }, receivedAt);
    expect(at).toEqual(receivedAt);
  });
  it("stays within [1970, a day after received] whatever the client says", () => {
    expect(eventTime({ timestamp: new Date("2190-01-01T00:00:00Z") }, receivedAt).toISOString()).toBe("2026-11-25T12:00:00.000Z");
    expect(eventTime({ timestamp: new Date("1990-01-01T00:00:00Z"), sentAt: new Date("2190-01-01T00:00:00Z") }, receivedAt).toISOString()).toBe("1970-01-01T00:00:00.000Z");
  });
});

describe("eventTimeProblem", () => {
  const receivedAt = new Date("2026-11-24T12:00:00.000Z");
  it.each([
    [{ timestamp: new Date("2026-11-25T11:59:59Z") }, null],
    [{ timestamp: new Date("2026-11-25T12:00:01Z") }, "timestamp: is more than a day ahead of the server's clock"],
    [{ timestamp: new Date("1990-01-01T00:00:00Z"), sentAt: new Date("2190-01-01T00:00:00Z") }, "timestamp: lies before 1970 once corrected for the client's clock (sentAt)"],
    [{ timestamp: new Date("2190-01-01T00:00:00Z"), sentAt: new Date("2190-01-01T00:00:05Z") }, null],
  ])("%j → %s", (message, problem) => {
    expect(eventTimeProblem(message, receivedAt)).toBe(problem);
  });
  it("parseMessage applies it when given receivedAt", () => {
    const raw = { type: "track", userId: "u", event: "e", timestamp: "2199-01-01T00:00:00Z" };
    expect(parseMessage(raw).ok).toBe(true);
    expect(parseMessage(raw, { receivedAt })).toEqual({ ok: false, error: "timestamp: is more than a day ahead of the server's clock" });
  });
});
