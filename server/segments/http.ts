import "server-only";
import { z } from "zod";
import { db } from "../db";
import { env } from "../env";
import { requireSecretKey } from "../api/secret-key";
import { BODY_LIMITS, payloadTooLarge, readText } from "../http/body";
import { profileFromPath } from "../profiles/http";
import { apiHandler, json } from "../http/api";
import { validate, ZSegmentDefinition } from "../../lib/segments/schema";
import { estimateCount, exactCount } from "./preview";
import { decodeMembersCursor, membersPage, type MemberSource } from "./members";
import { DomainError } from "../workspaces/service";
import { profileSegments } from "./membership";

/** The segment endpoints of the public API (secret key, Bearer). */


/** Exact counts that take longer than this are left out of the answer (the estimate stays). */
const EXACT_BUDGET_MS = 5_000;

/** POST /api/v1/segments/count `{ definition }` → `{ estimate, low, high, exact?, asOf, behind, ms }`. */
export function handleSegmentCount(req: Request): Promise<Response> {
  return apiHandler(() => segmentCount(req));
}

async function segmentCount(req: Request): Promise<Response> {
  const auth = await requireSecretKey(req);
  if (auth instanceof Response) return auth;
  const text = await readText(req, BODY_LIMITS.segmentsApi);
  if (!text.ok) return text.reason === "too-large" ? payloadTooLarge(BODY_LIMITS.segmentsApi) : json(400, { error: "the request body was cut off" });
  let body: unknown;
  try {
    body = JSON.parse(text.text);
  } catch {
    return json(400, { error: "invalid JSON" });
  }
  if (!body || typeof body !== "object" || !("definition" in body)) return json(400, { error: "definition: is required", errors: [{ path: ["definition"], message: "is required" }] });
  const result = validate((body as { definition: unknown }).definition);
  if (!result.ok) {
    const errors = result.errors.map((e) => ({ path: ["definition", ...e.path], message: e.message }));
    return json(400, { error: errors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; "), errors });
  }
  const started = performance.now();
  const now = new Date();
  const input = { workspaceId: auth.workspaceId, definition: result.definition, now, signal: req.signal, exactBelow: env().PREVIEW_EXACT_BELOW };
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
    const auth = await requireSecretKey(req);
    if (auth instanceof Response) return auth;
    const text = await readText(req, BODY_LIMITS.segmentsApi);
    if (!text.ok) return text.reason === "too-large" ? payloadTooLarge(BODY_LIMITS.segmentsApi) : json(400, { error: "the request body was cut off" });
    let body: unknown;
    try {
      body = JSON.parse(text.text);
    } catch {
      return json(400, { error: "invalid JSON" });
    }
    const parsed = ZMembersRequest.safeParse(body);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }));
      return json(400, { error: errors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; "), errors });
    }
    const { definition, segmentId, cursor, limit } = parsed.data;
    if ((definition === undefined) === (segmentId === undefined)) return json(400, { error: "send either definition or segmentId" });
    let source: MemberSource;
    if (segmentId !== undefined) source = { segmentId };
    else {
      const result = validate(definition);
      if (!result.ok) {
        const errors = result.errors.map((e) => ({ path: ["definition", ...e.path], message: e.message }));
        return json(400, { error: errors.map((e) => `${e.path.join(".")}: ${e.message}`).join("; "), errors });
      }
      source = { definition: result.definition };
    }
    const decoded = cursor === undefined ? null : decodeMembersCursor(cursor);
    if (cursor !== undefined && !decoded) return json(400, { error: "cursor: is not a cursor of this list (use the `next` of the previous page)" });
    try {
      const page = await membersPage(db(), { workspaceId: auth.workspaceId, source, cursor: decoded, limit, now: new Date(), signal: req.signal });
      return json(200, { members: page.members, next: page.next, asOf: page.asOf.toISOString() });
    } catch (error) {
      if (error instanceof DomainError) return json(404, { error: error.message });
      throw error;
    }
  });
}

/** GET /api/v1/profiles/{userId}/segments → the person's current segments. */
export function handleProfileSegments(req: Request, userId: string): Promise<Response> {
  return apiHandler(async () => {
    const auth = await requireSecretKey(req);
    if (auth instanceof Response) return auth;
    const profile = await profileFromPath(auth.workspaceId, userId);
    if (!profile) return json(404, { error: "no profile with this id" });
    const segments = await profileSegments(db(), { workspaceId: auth.workspaceId, profileId: profile.id });
    return json(200, { segments: segments.map((s) => ({ id: s.id, name: s.name, enteredAt: s.enteredAt.toISOString() })) });
  });
}

/** The definition format as JSON Schema (draft 2020-12), generated from the zod schema. */
export function segmentDefinitionJsonSchema() {
  return {
    $id: "https://junction.dev/schema/segment-definition.json",
    title: "Junction segment definition",
    description: "See docs/segment-definition.md for the meaning of every node.",
    ...z.toJSONSchema(ZSegmentDefinition, { target: "draft-2020-12", io: "input" }),
  };
}
