import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Prisma } from "@/server/generated/prisma/client";
import { parseMessage } from "@/lib/ingest/schema";
import type { JourneyDefinition, Trigger } from "@/lib/journeys/schema";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { ingestBatch } from "@/server/ingest/service";
import { refreshSegment } from "@/server/segments/membership";
import { dropSample } from "@/server/segments/sample";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { divide, journeyReach } from "./reach";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const createCaller = createCallerFactory(appRouter);
const DAY = 86_400_000;

const trait = (field: string, value: string): SegmentDefinition => ({
  schemaVersion: 1,
  root: { type: "group", op: "and", children: [{ type: "trait", field: field as "country", valueType: "string", operator: { op: "equals", value } }] },
});

describe("journey reach: who the entry takes in now, and how they divide along the edges", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let germany: string;

  const viewer = () => {
    const user = ws.members.find((m) => m.role === "viewer")!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, "viewer"), headers: new Headers() };
    return createCaller(ctx);
  };

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer"]);
    const now = Date.now();
    // 40 people: every 3rd in Germany, every 2nd on the pro plan. The first 20 opened the
    // Flex tariff 1–3 days ago, the next 10 the Basic one; the last 10 only 10 days ago.
    const raws: Record<string, unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      raws.push({ type: "identify", userId: `p${i}`, traits: { country: i % 3 === 0 ? "DE" : "FR", plan: i % 2 === 0 ? "pro" : "free" }, messageId: `p${i}-id`, timestamp: new Date(now - 30 * DAY).toISOString() });
      const ago = i < 30 ? (1 + (i % 3)) * DAY : 10 * DAY;
      raws.push({ type: "track", userId: `p${i}`, event: "tariff_calculator_opened", properties: { tariff: i < 20 ? "Flex" : "Basic" }, messageId: `p${i}-open`, timestamp: new Date(now - ago).toISOString() });
    }
    await ingestBatch(t.db, {
      workspaceId: ws.workspace.id,
      items: raws.map((raw) => {
        const parsed = parseMessage(raw);
        if (!parsed.ok) throw new Error(parsed.error);
        return { message: parsed.message, receivedAt: new Date() };
      }),
    });
    germany = (await t.db.segment.create({ data: { workspaceId: ws.workspace.id, name: "Germany", definition: trait("country", "DE") as unknown as Prisma.InputJsonValue } })).id;
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: germany, now: new Date() });
  });

  afterAll(() => dropSample(ws.workspace.id));

  const node = (n: Record<string, unknown>) => ({ position: { x: 0, y: 0 }, ...n }) as JourneyDefinition["nodes"][number];
  const journey = (trigger: Trigger, nodes: JourneyDefinition["nodes"] = [], edges: JourneyDefinition["edges"] = []): JourneyDefinition => ({
    schemaVersion: 1,
    nodes: [node({ id: "trigger", kind: "trigger", trigger }), ...nodes],
    edges,
    settings: { reentry: { mode: "never" } },
  });

  it("a segment trigger reaches the segment: its estimate, and the exact count — the segment's members", async () => {
    const members = await t.db.segmentMembership.count({ where: { segmentId: germany, exitedAt: null } });
    expect(members).toBe(14);
    const def = journey({ type: "segment_entered", segmentId: germany }, [node({ id: "done", kind: "exit" })], [{ id: "e1", from: "trigger", exit: "next", to: "done" }]);
    // A small workspace is counted exactly by the estimate.
    const small = await viewer().journeys.reach({ definition: def });
    expect(small).toEqual({ entry: { kind: "segment_entered", label: "Germany", estimate: members, exact: members }, edges: { e1: members }, sampled: false });
    // As a big workspace does it: estimated on the sample, then counted exactly on request.
    const big = await journeyReach(t.db, { workspaceId: ws.workspace.id, definition: def, exactBelow: 0 });
    expect(big.entry).toMatchObject({ estimate: members, low: expect.any(Number), high: expect.any(Number) });
    expect(big.entry.exact).toBeUndefined();
    const exact = await journeyReach(t.db, { workspaceId: ws.workspace.id, definition: def, exactBelow: 0, exact: true });
    // The stored membership (as of the segment's last refresh), not a count anew.
    expect(exact.entry).toMatchObject({ estimate: members, exact: members, asOf: expect.any(Date) });
    // A segment never refreshed is counted.
    const fresh = (await t.db.segment.create({ data: { workspaceId: ws.workspace.id, name: "Germany, unrefreshed", definition: trait("country", "DE") as unknown as Prisma.InputJsonValue } })).id;
    const counted = await journeyReach(t.db, { workspaceId: ws.workspace.id, definition: journey({ type: "segment_entered", segmentId: fresh }), exactBelow: 0, exact: true });
    expect(counted.entry).toMatchObject({ exact: members });
    expect(counted.entry.asOf).toBeUndefined();
    // Exiting the segment: anyone in it now could.
    expect((await viewer().journeys.reach({ definition: journey({ type: "segment_exited", segmentId: germany }) })).entry).toMatchObject({ kind: "segment_exited", estimate: members });
  });

  it("an event trigger reaches who performed it in the last 7 days, with its filters, a seventh of them a day", async () => {
    const all = await viewer().journeys.reach({ definition: journey({ type: "event", event: "tariff_calculator_opened", filters: [] }) });
    expect(all.entry).toEqual({ kind: "event", label: "tariff_calculator_opened", estimate: 30, exact: 30, perDay: 30 / 7 });
    const flex = await viewer().journeys.reach({
      definition: journey({ type: "event", event: "tariff_calculator_opened", filters: [{ path: "tariff", valueType: "string", operator: { op: "equals", value: "Flex" } }] }),
    });
    expect(flex.entry).toMatchObject({ estimate: 20, exact: 20, perDay: 20 / 7 });
  });

  it("branches divide the entry by their cases in order on the sample, splits by percent; a wait for an event cannot be known", async () => {
    const def = journey(
      { type: "event", event: "tariff_calculator_opened", filters: [] },
      [
        node({
          id: "branch",
          kind: "branch",
          cases: [
            { id: "pro", name: "Pro", condition: trait("traits.plan", "pro") },
            { id: "de", name: "Germany", condition: trait("country", "DE") },
          ],
        }),
        node({ id: "wait", kind: "wait", wait: { type: "event", event: "upgraded", filters: [], timeout: { amount: 1, unit: "days" } } }),
        node({ id: "send", kind: "update", trait: "nudged", op: "set", value: true }),
        node({ id: "pause", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "hours" } } }),
        node({ id: "split", kind: "split", arms: [{ id: "a", name: "A", percent: 30, holdout: false }, { id: "b", name: "B", percent: 70, holdout: true }] }),
        node({ id: "done", kind: "exit" }),
      ],
      [
        { id: "in", from: "trigger", exit: "next", to: "branch" },
        { id: "to_pro", from: "branch", exit: "pro", to: "wait" },
        { id: "to_de", from: "branch", exit: "de", to: "pause" },
        { id: "to_else", from: "branch", exit: "else", to: "split" },
        { id: "upgraded", from: "wait", exit: "event", to: "done" },
        { id: "timeout", from: "wait", exit: "timeout", to: "send" },
        { id: "after_send", from: "send", exit: "next", to: "done" },
        { id: "after_pause", from: "pause", exit: "next", to: "split" },
        { id: "arm_a", from: "split", exit: "a", to: "done" },
        { id: "arm_b", from: "split", exit: "b", to: "done" },
      ],
    );
    const reach = await viewer().journeys.reach({ definition: def });
    // Of the 30: even numbers are pro (15); of the odd, multiples of 3 are in Germany (3, 9, 15, 21, 27); 10 others.
    expect(reach.edges).toEqual({ in: 30, to_pro: 15, to_de: 5, to_else: 10, upgraded: null, timeout: null, after_send: null, after_pause: 5, arm_a: 5, arm_b: 10 });
    expect(reach.edges.to_pro! + reach.edges.to_de! + reach.edges.to_else!).toBe(reach.entry.exact);

    // The same on the sample, as a big workspace: the parts still add up to the entry.
    const big = await journeyReach(t.db, { workspaceId: ws.workspace.id, definition: def, exactBelow: 0 });
    expect(big.edges.to_pro! + big.edges.to_de! + big.edges.to_else!).toBe(big.entry.estimate);
    expect(big.edges.arm_a! + big.edges.arm_b!).toBe(big.edges.to_de! + big.edges.to_else!);
  });

  it("the enroll API and an unfinished trigger are unknown, not an error", async () => {
    const api = await viewer().journeys.reach({ definition: journey({ type: "api" }, [node({ id: "done", kind: "exit" })], [{ id: "e1", from: "trigger", exit: "next", to: "done" }]) });
    expect(api).toMatchObject({ entry: { kind: "api", estimate: null }, edges: { e1: null } });
    expect((await viewer().journeys.reach({ definition: journey({ type: "event", filters: [] }) })).entry).toMatchObject({ estimate: null, label: "Choose the event that starts the journey." });
    expect((await viewer().journeys.reach({ definition: journey({ type: "segment_entered", segmentId: "gone" }) })).entry).toMatchObject({ estimate: null, label: expect.stringContaining("no longer exists") });
  });

  it("divides whole numbers so the parts add up", () => {
    expect(divide(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(divide(7, [30, 70])).toEqual([2, 5]);
    expect(divide(5, [0, 0])).toEqual([0, 0]);
  });
});
