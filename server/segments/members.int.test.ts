import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Prisma } from "@/server/generated/prisma/client";
import { parseMessage } from "@/lib/ingest/schema";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { sql } from "@/server/db/client";
import { ingestBatch } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { matchingQuery } from "./compile-sql";
import { handleSegmentMembers } from "./http";
import { refreshSegment } from "./membership";
import { CSV_COLUMNS, csvField, membersCsv } from "./members";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const germans: SegmentDefinition = {
  schemaVersion: 1,
  root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.country", valueType: "string", operator: { op: "equals", value: "DE" } }] },
};

/** Parses the export's CSV (quoted fields with "" escapes, CRLF rows) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  return rows;
}

describe("member lists: the members API and the CSV export", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let secretKey: string;
  let counter = 0;

  async function arrive(n: number, traits: (i: number) => Record<string, unknown>) {
    const items = Array.from({ length: n }, (_, i) => {
      const parsed = parseMessage({ type: "identify", userId: `m-${++counter}`, traits: traits(i), messageId: `m-${counter}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    for (let i = 0; i < items.length; i += 500) await ingestBatch(t.db, { workspaceId, items: items.slice(i, i + 500) });
  }

  const matching = async (definition: SegmentDefinition) =>
    (await sql(t.db).raw<{ id: string }>(matchingQuery(definition, { workspaceId, now: new Date() }))).map((r) => r.id).sort();

  const post = (body: unknown) =>
    handleSegmentMembers(new Request("http://x/api/v1/segments/members", { method: "POST", headers: { authorization: `Bearer ${secretKey}` }, body: JSON.stringify(body) }));

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    secretKey = (await insertApiKey(t.db, { workspaceId, name: "s", kind: "secret", createdById: admin.id })).raw;
    // Awkward values for a CSV: commas, quotes, line breaks and a formula.
    await arrive(2_600, (i) => ({ country: i % 2 === 0 ? "DE" : "FR", note: i === 0 ? 'says "hi", then\nleaves' : "plain", nick: i === 2 ? "=HYPERLINK(1)" : `n${i}` }));
  }, 60_000);

  it("pages through a definition's members in a stable order, every member once", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await post({ definition: germans, limit: 500, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { members: { id: string; traits: Record<string, unknown> }[]; next: string | null; asOf: string };
      expect(page.members.every((m) => m.traits.country === "DE")).toBe(true);
      seen.push(...page.members.map((m) => m.id));
      cursor = page.next ?? undefined;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(await matching(germans));
  });

  it("lists a saved segment's current members", async () => {
    const segment = await t.db.segment.create({ data: { workspaceId, name: "Germans", definition: germans as unknown as Prisma.InputJsonValue } });
    await refreshSegment(t.db, { workspaceId, segmentId: segment.id, now: new Date() });
    const res = await post({ segmentId: segment.id, limit: 1_000 });
    const page = (await res.json()) as { members: { id: string }[]; next: string | null };
    expect(page.members).toHaveLength(1_000);
    expect(page.next).not.toBeNull();
    expect((await post({ segmentId: "nope" })).status).toBe(404);
  });

  it.each<[string, unknown, RegExp]>([
    ["neither a definition nor a segment", {}, /either definition or segmentId/],
    ["both", { definition: germans, segmentId: "x" }, /either definition or segmentId/],
    ["an invalid definition", { definition: { schemaVersion: 1, root: { type: "group", op: "xor", children: [] } } }, /^definition\.root\.op: /],
    ["a foreign cursor", { definition: germans, cursor: "bm9wZQ" }, /^cursor: /],
    ["a limit over 1,000", { definition: germans, limit: 5_000 }, /^limit: /],
  ])("400 for %s", async (_name, body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(message);
  });

  it("the CSV holds every member once, escapes what needs it, and describes one moment while people keep arriving", async () => {
    const before = await matching(germans);
    const stream = await membersCsv(t.db, { workspaceId, source: { definition: germans }, now: new Date() });
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const first = await reader.read();
    text += decoder.decode(first.value, { stream: true });
    // New Germans arrive while the file is being written: they are not in it (one snapshot).
    await arrive(50, () => ({ country: "DE" }));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const ids = rows.slice(1).map((r) => r[0]!);
    expect(ids.sort()).toEqual(before);
    const awkward = rows.find((r) => r[9]!.includes("hi"))!;
    expect(JSON.parse(awkward[9]!).note).toBe('says "hi", then\nleaves');
    expect(rows.some((r) => r[9]!.includes("=HYPERLINK"))).toBe(true); // inside JSON, not a cell of its own
  });

  it("a cancelled export lets go of its connection at once", async () => {
    const stream = await membersCsv(t.db, { workspaceId, source: { definition: germans }, now: new Date() });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    const [row] = await sql(t.db).query<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`;
    expect(row!.n).toBe(0);
  });

  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["=1+1", "'=1+1"],
    ["+49 30 1234", "+49 30 1234"],
    ["-3.5", "-3.5"],
    ["+1 (555) 010-9999", "+1 (555) 010-9999"],
    ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
    ["-x", "'-x"],
    ["@home", "'@home"],
  ])("csvField(%j) is %j", (value, field) => {
    expect(csvField(value)).toBe(field);
    expect(csvField(null)).toBe("");
  });
});
