import "server-only";
import { z } from "zod";
import { findUnstorable, MAX_JSON_DEPTH, STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";
import { db } from "@/server/db";
import { apiHandler, json, parseInput, readJson } from "@/server/http/api";
import { requireSecretKey } from "@/server/keys/secret-key";
import { profileFromPath } from "@/server/profiles/http";
import { enrollByApi } from "./runtime/api";

const ZEnroll = z.strictObject({
  userId: z.string().trim().min(1, { message: "is required" }).max(256).regex(STORABLE, { message: UNSTORABLE_MESSAGE }),
  /** Become the trigger event's properties (for templates). */
  properties: z
    .record(z.string().max(200), z.unknown())
    .superRefine((value, ctx) => {
      const problem = findUnstorable(value, MAX_JSON_DEPTH);
      if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    })
    .default({}),
  /** "Once per …": the value the journey's correlation key would have (an order id). */
  correlation: z.string().max(500).regex(STORABLE, { message: UNSTORABLE_MESSAGE }).optional(),
});

/**
 * POST /api/v1/journeys/{journeyId}/enroll `{ userId, properties?, correlation? }` (secret key)
 * → 200 `{ enrolled: true, enrollmentId }`, or 200 `{ enrolled: false, reason, message }` when
 * a rule says no (already inside, re-entry, the journey is full). 404: no such journey or
 * person; 409: the journey is not live, or its trigger is not the enroll API.
 */
export function handleEnroll(req: Request, journeyId: string): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const body = parseInput(ZEnroll, await readJson(req, 64 * 1024));
    const profile = await profileFromPath(workspaceId, body.userId);
    if (!profile) return json(404, { error: "no profile with this id" });
    if (journeyId.length > 64) return json(404, { error: "No journey with this id." });
    const outcome = await enrollByApi(db(), { workspaceId, journeyId, profileId: profile.id, properties: body.properties, correlation: body.correlation });
    return json(200, outcome.enrolled ? { enrolled: true, enrollmentId: outcome.enrollmentId, message: outcome.message } : { enrolled: false, reason: outcome.reason, message: outcome.message });
  });
}
