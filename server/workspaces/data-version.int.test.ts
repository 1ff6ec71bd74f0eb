import { describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { sql } from "@/server/db/client";
import { loadDemoData } from "@/server/demo/load";
import { ingestBatch, ingestMessage } from "@/server/ingest/service";
import { deletePerson } from "@/server/profiles/gdpr";
import { importProfiles } from "@/server/profiles/import";
import { refreshSegment } from "@/server/segments/membership";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { readDataVersion, reconcileProfileCount } from "./data-version";
import { createGroup, setSubscriptions } from "@/server/consent/service";

/**
 * Every writer of people data keeps the workspace's counters: the profile count is always
 * the number of profiles, and the version grows with every change (and only then).
 */
describe("the workspace's data version and profile count", () => {
  const t = useTestDatabase();
  let n = 0;
  const message = (raw: Record<string, unknown>) => {
    const parsed = parseMessage({ messageId: `dv-${++n}`, ...raw });
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.message;
  };

  async function check(workspaceId: string) {
    const counters = await readDataVersion(sql(t.db), workspaceId);
    expect(counters.profiles).toBe(await t.db.profile.count({ where: { workspaceId } }));
    return counters.version;
  }

  it("ingestion (new people, merges, duplicates, refusals), CSV import, GDPR deletion, membership and the demo loader keep them", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const workspaceId = workspace.id;
    const actor = { userId: admin.id, label: admin.email };
    let version = await check(workspaceId);
    expect(version).toBe(0);

    const step = async (what: string, change: () => Promise<unknown>, grows = true) => {
      await change();
      const next = await check(workspaceId);
      if (grows) expect(next, what).toBeGreaterThan(version);
      else expect(next, what).toBe(version);
      version = next;
    };
    const batch = (raws: Record<string, unknown>[]) => ingestBatch(t.db, { workspaceId, items: raws.map((raw) => ({ message: message(raw), receivedAt: new Date() })) });

    await step("new people in bulk", () => batch([{ type: "track", anonymousId: "a1", event: "e" }, { type: "identify", userId: "u1", traits: { plan: "pro" } }]));
    await step("identify merges an anonymous person into a known one", () => batch([{ type: "identify", userId: "u1", anonymousId: "a1" }]));
    await step("alias merges one more", async () => {
      await batch([{ type: "track", anonymousId: "a2", event: "e" }]);
      await batch([{ type: "alias", previousId: "a2", userId: "u1" }]);
    });
    await step("a refused alias changes nothing", () => batch([{ type: "identify", userId: "u2" }]));
    await step("…", () => batch([{ type: "alias", previousId: "u2", userId: "u1" }]), false);
    await step("a duplicate changes nothing", () => batch([{ type: "track", userId: "u1", event: "e", messageId: "dv-1" }]), false);
    await step("the single-message path", () => ingestMessage(t.db, { workspaceId, message: message({ type: "identify", userId: "u3", anonymousId: "a3" }), receivedAt: new Date() }));
    await step("CSV import", () => importProfiles(t.db, { workspaceId, actor, importId: "import-1", fileName: "x.csv", rows: [{ line: 2, id: "csv-1", traits: { plan: "free" } }] }));
    const profile = (await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId: "u3" } })).id;
    await step("GDPR deletion", () => deletePerson(t.db, { workspaceId, actor, profileId: profile }));
    const segment = await t.db.segment.create({
      data: { workspaceId, name: "Pro", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } }] } } },
    });
    await step("a segment's first members", () => refreshSegment(t.db, { workspaceId, segmentId: segment.id, now: new Date() }));
    await step("a refresh that changes no membership", () => refreshSegment(t.db, { workspaceId, segmentId: segment.id, now: new Date() }), false);
    await step("the demo loader", () => loadDemoData(t.url, { workspaceId, profiles: 50, events: 300, seed: 3, now: new Date(), days: 30 }));
    const group = await createGroup(t.db, { workspaceId, actor, group: { name: "News", description: "", channel: "email", mode: "opt_out", purpose: "marketing" } });
    const someone = (await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId: "u1" } })).id;
    const answer = (subscribed: boolean) => setSubscriptions(t.db, { workspaceId, profileId: someone, changes: [{ groupId: group.id, subscribed }], source: "api", actor });
    await step("a consent answer (segments may say “subscribed to …”)", () => answer(false));
    await step("the same answer again changes nothing", () => answer(false), false);
  });

  it("a profile count that drifted (a writer that did not count) is repaired, once, and says by how much", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    await t.db.profile.createMany({ data: ["x1", "x2"].map((id) => ({ id: `${workspace.id}-${id}`, workspaceId: workspace.id, bucket: 1, firstSeenAt: new Date(), lastSeenAt: new Date() })) });
    expect((await readDataVersion(sql(t.db), workspace.id)).profiles).toBe(0);
    expect(await reconcileProfileCount(sql(t.db), workspace.id)).toBe(2);
    expect(await check(workspace.id)).toBe(1);
    expect(await reconcileProfileCount(sql(t.db), workspace.id)).toBe(0);
  });
});
