import { describe, expect, it } from "vitest";
import { parseMessage, type Message } from "@/lib/ingest/schema";
import { findProfileById } from "@/server/profiles/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { ingestBatch, ingestMessage } from "./service";

function message(raw: Record<string, unknown>): Message {
  const parsed = parseMessage(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

const batch = (raws: Record<string, unknown>[]) => raws.map((raw) => ({ message: message(raw), receivedAt: new Date() }));

describe("ingestBatch", () => {
  const t = useTestDatabase();

  it("a retried message in a later batch counts once and does not re-apply its traits", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const first = { type: "identify", userId: "u-retry", traits: { plan: "free" }, messageId: "retry-1" };
    expect(await ingestBatch(t.db, { workspaceId: workspace.id, items: batch([first]) })).toEqual(["stored"]);

    // The plan changes, then the first identify arrives again behind it (a client retry).
    const outcomes = await ingestBatch(t.db, {
      workspaceId: workspace.id,
      items: batch([{ type: "identify", userId: "u-retry", traits: { plan: "pro" }, messageId: "retry-2" }, first, { type: "track", userId: "u-retry", event: "purchase", messageId: "retry-3" }]),
    });
    expect(outcomes).toEqual(["stored", "duplicate", "stored"]);
    const profile = await findProfileById(t.db, workspace.id, "u-retry");
    expect(profile?.traits).toEqual({ plan: "pro" });
    expect(await t.db.event.count({ where: { workspaceId: workspace.id } })).toBe(3);
  });

  it("a message stored by the single-message path is a duplicate for the batch path, and the other way round", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const raw = { type: "track", userId: "u-both", event: "app_open", messageId: "both-1" };
    expect(await ingestMessage(t.db, { workspaceId: workspace.id, message: message(raw), receivedAt: new Date() })).toBe("stored");
    expect(await ingestBatch(t.db, { workspaceId: workspace.id, items: batch([raw]) })).toEqual(["duplicate"]);
    const other = { type: "identify", userId: "u-both", traits: { plan: "pro" }, messageId: "both-2" };
    expect(await ingestBatch(t.db, { workspaceId: workspace.id, items: batch([other]) })).toEqual(["stored"]);
    expect(await ingestMessage(t.db, { workspaceId: workspace.id, message: message({ ...other, traits: { plan: "free" } }), receivedAt: new Date() })).toBe("duplicate");
    expect((await findProfileById(t.db, workspace.id, "u-both"))?.traits).toEqual({ plan: "pro" });
  });

  it("stores each message's own receivedAt", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const a = new Date("2026-11-01T10:00:00.000Z");
    const b = new Date("2026-11-01T10:00:05.000Z");
    await ingestBatch(t.db, {
      workspaceId: workspace.id,
      items: [
        { message: message({ type: "track", userId: "u-rx", event: "a", messageId: "rx-1" }), receivedAt: a },
        { message: message({ type: "track", userId: "u-rx", event: "b", messageId: "rx-2" }), receivedAt: b },
      ],
    });
    const events = await t.db.event.findMany({ where: { workspaceId: workspace.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => [e.name, e.receivedAt.toISOString(), e.timestamp.toISOString()])).toEqual([
      ["a", a.toISOString(), a.toISOString()],
      ["b", b.toISOString(), b.toISOString()],
    ]);
  });

  it("a message the database refuses is refused on its own (no exception, no retry), and its batch-mates are stored", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    // Past validation somehow (validation refuses these before they get here): the database
    // must still not turn the message's own fault into a failure of the whole batch.
    const bad = { ...message({ type: "track", userId: "u-refused", event: "x", messageId: "refused-1" }), event: "nul\u0000inside" } as Message;
    const outcomes = await ingestBatch(t.db, {
      workspaceId: workspace.id,
      items: [
        { message: message({ type: "track", userId: "u-ok", event: "a", messageId: "ok-1" }), receivedAt: new Date() },
        { message: bad, receivedAt: new Date() },
        { message: message({ type: "identify", userId: "u-ok", traits: { plan: "pro" }, messageId: "ok-2" }), receivedAt: new Date() },
      ],
    });
    expect(outcomes).toEqual(["stored", { refused: "contains a value the database cannot store" }, "stored"]);
    expect(await t.db.event.count({ where: { workspaceId: workspace.id } })).toBe(2);
    expect(await findProfileById(t.db, workspace.id, "u-refused")).toBeNull();
    expect(await ingestMessage(t.db, { workspaceId: workspace.id, message: { ...bad, messageId: "refused-2" }, receivedAt: new Date() })).toEqual({
      refused: "contains a value the database cannot store",
    });
  });
});
