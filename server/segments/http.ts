import "server-only";
import { z } from "zod";
import { db } from "@/server/db";
import { requireSecretKey } from "@/server/keys/secret-key";
import { requireRouteAccess } from "@/server/auth/guards";
import { BODY_LIMITS } from "@/server/http/body";
import { apiHandler, json, parseDefinition, parseInput, readJson, Refusal } from "@/server/http/api";
import { profileFromPath } from "@/server/profiles/http";
import { ZSegmentDefinition } from "@/lib/segments/schema";
import { estimateCount, exactCount } from "./preview";
import { decodeMembersCursor, membersCsv, membersPage, type MemberSource } from "./members";
import { profileMembershipHistory, profileSegments } from "./membership";

/**
 * The segment endpoints: the public API (secret key, Bearer) and the members' CSV
 * download of the app (session cookie).
 */

/** Exact counts that take longer than this are left out of the answer (the estimate stays). */
const EXACT_BUDGET_MS = 5_000;

/** POST /api/v1/segments/count `{ definition }` → `{ estimate, low, high, exact?, asOf, behind, ms }`. */
export function handleSegmentCount(req: Request): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const body = parseInput(z.object({ definition: z.unknown().refine((v) => v !== undefined, { message: "is required" }) }), await readJson(req, BODY_LIMITS.segmentsApi));
    const definition = parseDefinition(body.definition);
    const started = performance.now();
    const input = { workspaceId, definition, now: new Date(), signal: req.signal };
    const estimate = await estimateCount(db(), input);
    const counted = estimate.exact !== undefined ? { exact: estimate.exact, asOf: estimate.asOf } : await exactCount(db(), { ...input, timeoutMs: EXACT_BUDGET_MS }).catch(() => undefined);
    return json(200, {
      estimate: estimate.estimate,
      low: estimate.low,
      high: estimate.high,
      ...(counted ? { exact: counted.exact } : {}),
      // The moment the answer describes: the exact count's, else the estimate's sample's.
      asOf: (counted?.asOf ?? estimate.asOf).toISOString(),
      behind: estimate.behind,
      ms: Math.round(performance.now() - started),
    });
  });
}

/** Whose members: a definition (checked) or a saved segment — one of them. */
function memberSource(body: { definition?: unknown; segmentId?: string }, neither: string): MemberSource {
  if ((body.definition === undefined) === (body.segmentId === undefined)) throw new Refusal(400, neither);
  return body.segmentId !== undefined ? { segmentId: body.segmentId } : { definition: parseDefinition(body.definition) };
}

const ZMembersRequest = z.object({
  definition: z.unknown().optional(),
  segmentId: z.string().min(1).max(64).optional(),
  cursor: z.string().max(400).optional(),
  limit: z.number().int().min(1).max(1_000).default(100),
});

/**
 * POST /api/v1/segments/members `{ definition } | { segmentId }`, `cursor?`, `limit?` →
 * `{ members, next, asOf }`: who is in it, a page at a time, in a stable order.
 */
export function handleSegmentMembers(req: Request): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const body = parseInput(ZMembersRequest, await readJson(req, BODY_LIMITS.segmentsApi));
    const source = memberSource(body, "send either definition or segmentId");
    const cursor = body.cursor === undefined ? null : decodeMembersCursor(body.cursor);
    if (body.cursor !== undefined && !cursor) throw new Refusal(400, "cursor: is not a cursor of this list (use the `next` of the previous page)");
    const page = await membersPage(db(), { workspaceId, source, cursor, limit: body.limit, now: new Date(), signal: req.signal });
    return json(200, { members: page.members, next: page.next, asOf: page.asOf.toISOString() });
  });
}

const ZExportRequest = z.object({ definition: z.unknown().optional(), segmentId: z.string().min(1).max(64).optional(), name: z.string().max(120).optional() });

/**
 * POST /api/segments/export `{ definition } | { segmentId }` → the members as a CSV
 * download, streamed (server/segments/members.ts), for marketers and admins (session
 * cookie). A same-origin JSON POST only, like every cookie-authenticated change: another
 * site cannot make a browser fetch a member list.
 */
export function handleSegmentExport(req: Request): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireRouteAccess(req, "segments.export");
    const body = parseInput(ZExportRequest, await readJson(req, BODY_LIMITS.segmentsApi));
    const source = memberSource(body, "Send either a definition or a segmentId.");
    const now = new Date();
    const stream = await membersCsv(db(), { workspaceId, source, now, signal: req.signal });
    const slug = (body.name ?? "segment").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "segment";
    return new Response(stream, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${slug}-members-${now.toISOString().slice(0, 10)}.csv"`,
        "cache-control": "no-store",
        "x-junction-as-of": now.toISOString(),
      },
    });
  });
}

/**
 * GET /api/v1/profiles/{userId}/segments → the person's current segments, each with when
 * they entered it; `?history=true` adds their entries and exits, newest first
 * (`historyLimit`, 1–500, default 100; `historyBefore` pages on from a `historyNext`).
 */
export function handleProfileSegments(req: Request, userId: string): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const query = new URL(req.url).searchParams;
    const options = parseInput(ZProfileSegmentsQuery, Object.fromEntries(query));
    const profile = await profileFromPath(workspaceId, userId);
    if (!profile) return json(404, { error: "no profile with this id" });
    const segments = await profileSegments(db(), { workspaceId, profileId: profile.id });
    const body: Record<string, unknown> = { segments: segments.map((s) => ({ id: s.id, name: s.name, enteredAt: s.enteredAt.toISOString() })) };
    if (options.history === "true") {
      const page = await profileMembershipHistory(db(), { workspaceId, profileId: profile.id, before: options.historyBefore, limit: options.historyLimit });
      body.history = page.items.map((h) => ({ segmentId: h.segmentId, segmentName: h.segmentName, change: h.entered ? "entered" : "exited", cause: h.cause, at: h.at.toISOString() }));
      body.historyNext = page.nextCursor;
    }
    return json(200, body);
  });
}

const ZProfileSegmentsQuery = z.object({
  history: z.enum(["true", "false"]).optional(),
  historyLimit: z.coerce.number().int().min(1).max(500).default(100),
  historyBefore: z.string().regex(/^\d{1,18}$/, { message: "is not a cursor of this list (use historyNext)" }).optional(),
});

/** The definition format as JSON Schema (draft 2020-12), generated from the zod schema. */
export function segmentDefinitionJsonSchema() {
  return {
    $id: "https://junction.dev/schema/segment-definition.json",
    title: "Junction segment definition",
    description: "See docs/segment-definition.md for the meaning of every node.",
    ...z.toJSONSchema(ZSegmentDefinition, { target: "draft-2020-12", io: "input" }),
  };
}
