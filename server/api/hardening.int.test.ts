import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { getTrpc, postTrpc } from "@/server/test/trpc-http";
import { encodeKeyset } from "@/server/db/keyset";
import { insertApiKey } from "@/server/keys/service";
import { handleSegmentCount } from "@/server/segments/http";
import * as workspaces from "@/server/workspaces/service";
import type { Viewer } from "@/server/auth/viewer-cache";
import { INTERNAL_MESSAGE } from "./trpc";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

/** A definition whose groups nest `levels` deep (as JSON text: deeper than JSON.stringify goes). */
function nestedDefinition(levels: number): string {
  const open = '{"type":"group","op":"and","children":['.repeat(levels);
  return `{"schemaVersion":1,"root":${open}${"]}".repeat(levels)}}`;
}

/**
 * Bad input through the app's HTTP endpoints: always a 4xx naming the field, a short
 * answer, and never the database's own words.
 */
describe("tRPC and the segments API under bad input", () => {
  const t = useTestDatabase();
  let admin: Viewer;
  let marketer: Viewer;
  let secretKey: string;

  beforeAll(async () => {
    const ws = await createWorkspaceWith(t.db, ["marketer"]);
    admin = viewerFor(ws.admin, ws.workspace, "admin");
    marketer = viewerFor(ws.members[0]!.user, ws.workspace, "marketer");
    secretKey = (await insertApiKey(t.db, { workspaceId: ws.workspace.id, name: "s", kind: "secret", createdById: ws.admin.id })).raw;
  });

  afterEach(() => vi.restoreAllMocks());

  it.each<[string, "get" | "post", string, unknown, string]>([
    ["a NUL in a search", "get", "profiles.list", { search: "a\u0000b" }, "search"],
    ["a lone surrogate in a search", "get", "profiles.list", { search: "cut \ud83d" }, "search"],
    ["a NUL in a segment name", "post", "segments.create", { name: "x\u0000", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [] } } }, "name"],
    ["a NUL in a key name", "post", "keys.create", { name: "k\u0000", kind: "write" }, "name"],
    ["a NUL deep in a definition", "post", "segments.create", { name: "x", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "event", event: "e\u0000", where: [], count: { op: "gte", value: 1 }, window: { kind: "ever" } }] } } }, "definition.root.children.0.event"],
  ])("%s: 400 naming the field, no database text", async (_name, method, path, input, field) => {
    const res = method === "get" ? await getTrpc(t.db, marketer, path, input) : await postTrpc(t.db, admin, path, input);
    expect(res.status).toBe(400);
    expect(res.body?.error?.json?.message).toMatch(new RegExp(`^${field.replaceAll(".", "\\.")}: `));
    expect(res.text).not.toMatch(/prisma|invalid byte sequence|postgres|0x00/i);
  });

  it.each<[string, string, unknown]>([
    ["a profile cursor in year −271821", "profiles.list", { cursor: encodeKeyset(new Date(-8.64e15), "p") }],
    ["a profile cursor that is not one", "profiles.list", { cursor: "bm90LWEtY3Vyc29y" }],
    ["an event cursor with an id beyond bigint", "profiles.events", { profileId: "p", cursor: Buffer.from("2026-01-01T00:00:00.000Z|99999999999999999999").toString("base64url") }],
    ["an audit cursor with a NUL id", "audit.list", { cursor: Buffer.from("2026-01-01T00:00:00.000Z|a\u0000").toString("base64url") }],
  ])("%s: 400 on the cursor field", async (_name, path, input) => {
    const res = await getTrpc(t.db, admin, path, input);
    expect(res.status).toBe(400);
    expect(res.body?.error?.json?.message).toMatch(/^cursor: is not a cursor of this list/);
  });

  it("a date Postgres cannot hold is the input's fault (400), not a 500 with the database's message", async () => {
    const res = await handleTrpcGetWithDate(t.db, admin);
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/prisma|out of range for type|postgres/i);
  });

  it("an internal failure answers 500 with a plain message and no internals", async () => {
    vi.spyOn(workspaces, "listMembers").mockRejectedValue(new Error('relation "memberships" does not exist (prisma:query SELECT …)'));
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await getTrpc(t.db, admin, "members.list", undefined);
    expect(res.status).toBe(500);
    expect(res.body?.error?.json?.message).toBe(INTERNAL_MESSAGE);
    expect(res.text).not.toMatch(/relation|prisma|stack/i);
  });

  describe("definition depth and size bombs", () => {
    it.each([900, 500, 40])("a definition nested %i deep: one short 400, over tRPC and over the segments API", async (levels) => {
      const raw = `{"json":{"name":"Deep","definition":${nestedDefinition(levels)}}}`;
      const res = await postTrpc(t.db, marketer, "segments.create", null, { rawBody: raw });
      expect(res.status).toBe(400);
      expect(res.text.length).toBeLessThan(2_000);
      expect(res.body?.error?.json?.message).toMatch(/definition.*nest|nest.*deep|at most 8 levels/);

      const api = await handleSegmentCount(
        new Request("http://x/api/v1/segments/count", { method: "POST", headers: { authorization: `Bearer ${secretKey}` }, body: `{"definition":${nestedDefinition(levels)}}` }),
      );
      expect(api.status).toBe(400);
      expect((await api.text()).length).toBeLessThan(2_000);
    });

    it("a 20 MB definition is refused before it is read whole (413), over tRPC and over the segments API", async () => {
      const huge = JSON.stringify({ json: { name: "Huge", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [], pad: "x".repeat(20 * 1024 * 1024) } } } });
      const started = performance.now();
      const res = await postTrpc(t.db, marketer, "segments.create", null, { rawBody: huge });
      expect(res.status).toBe(413);
      const api = await handleSegmentCount(new Request("http://x/api/v1/segments/count", { method: "POST", headers: { authorization: `Bearer ${secretKey}` }, body: huge }));
      expect(api.status).toBe(413);
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it("a definition just under the request limit but over the definition limit gets one short 400", async () => {
      const condition = { type: "trait", field: "country", valueType: "string", operator: { op: "in", values: Array.from({ length: 500 }, (_, i) => `${i}`.padEnd(500, "x")) } };
      const big = { schemaVersion: 1, root: { type: "group", op: "and", children: [condition, condition] } };
      const res = await postTrpc(t.db, marketer, "segments.create", { name: "Big", definition: big });
      expect(res.status).toBe(400);
      expect(res.body?.error?.json?.message).toMatch(/at most 256 KB/);
    });
  });

  it("nobody without a session gets a mutation body read", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const res = await postTrpc(t.db, null, "segments.create", null, { rawBody: body });
    expect(res.status).toBe(401);
    expect(pulled).toBeLessThanOrEqual(1);
  });
});

/** audit.list with `from` at the earliest date JavaScript has (Postgres cannot store it). */
async function handleTrpcGetWithDate(db: Parameters<typeof getTrpc>[0], viewer: Viewer) {
  const { handleTrpcRequest } = await import("./http");
  const input = JSON.stringify({ json: { from: "-271821-04-20T00:00:00.000Z" }, meta: { values: { from: ["Date"] } } });
  const res = await handleTrpcRequest(new Request(`http://localhost:3000/api/trpc/audit.list?input=${encodeURIComponent(input)}`, { headers: { host: "localhost:3000" } }), async () => ({ db, viewer, headers: new Headers() }));
  return { status: res.status, text: await res.text() };
}
