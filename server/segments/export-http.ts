import "server-only";
import { z } from "zod";
import { db } from "../db";
import { rejectUnsafeRequest } from "../api/csrf";
import { requireRouteRole } from "../auth/guards";
import { apiHandler, json } from "../http/api";
import { BODY_LIMITS, payloadTooLarge, readText } from "../http/body";
import { DomainError } from "../workspaces/service";
import { validate } from "../../lib/segments/schema";
import { membersCsv, type MemberSource } from "./members";

const ZExportRequest = z.object({ definition: z.unknown().optional(), segmentId: z.string().min(1).max(64).optional(), name: z.string().max(120).optional() });

/**
 * POST /api/segments/export `{ definition } | { segmentId }` → the members as a CSV
 * download, streamed (server/segments/members.ts), for marketers and admins (session
 * cookie). A same-origin JSON POST only, like every cookie-authenticated change: another
 * site cannot make a browser fetch a member list.
 */
export function handleSegmentExport(req: Request): Promise<Response> {
  return apiHandler(async () => {
    const refused = rejectUnsafeRequest(req);
    if (refused) return refused;
    const viewer = await requireRouteRole(req, "marketer", "Exporting members needs the marketer role.");
    if (viewer instanceof Response) return viewer;
    const text = await readText(req, BODY_LIMITS.segmentsApi);
    if (!text.ok) return text.reason === "too-large" ? payloadTooLarge(BODY_LIMITS.segmentsApi) : json(400, { error: "The request body was cut off." });
    let parsed: z.infer<typeof ZExportRequest>;
    try {
      const result = ZExportRequest.safeParse(JSON.parse(text.text));
      if (!result.success) return json(400, { error: "Send a definition or a segmentId." });
      parsed = result.data;
    } catch {
      return json(400, { error: "invalid JSON" });
    }
    if ((parsed.definition === undefined) === (parsed.segmentId === undefined)) return json(400, { error: "Send either a definition or a segmentId." });
    let source: MemberSource;
    if (parsed.segmentId !== undefined) source = { segmentId: parsed.segmentId };
    else {
      const checked = validate(parsed.definition);
      if (!checked.ok) return json(400, { error: `The definition is not valid: ${checked.errors[0]!.message}` });
      source = { definition: checked.definition };
    }
    const now = new Date();
    try {
      const stream = await membersCsv(db(), { workspaceId: viewer.membership.workspaceId, source, now, signal: req.signal });
      const slug = (parsed.name ?? "segment").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "segment";
      return new Response(stream, {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${slug}-members-${now.toISOString().slice(0, 10)}.csv"`,
          "cache-control": "no-store",
          "x-junction-as-of": now.toISOString(),
        },
      });
    } catch (error) {
      if (error instanceof DomainError) return json(404, { error: error.message });
      throw error;
    }
  });
}
