import { hasRole } from "@/lib/auth/roles";
import { resolveViewer } from "@/server/auth/session";
import { db } from "@/server/db";
import { exportPerson } from "@/server/profiles/gdpr";
import { DomainError } from "@/server/workspaces/service";

/** GDPR export of one person as a JSON download. Admins only (session cookie). */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const viewer = await resolveViewer(req.headers);
  if (!viewer) return Response.json({ error: "Please sign in." }, { status: 401 });
  if (!viewer.membership || !hasRole(viewer.membership.role, "admin")) {
    return Response.json({ error: "Exporting a person's data needs the admin role." }, { status: 403 });
  }
  const { id } = await params;
  try {
    const data = await exportPerson(db(), {
      workspaceId: viewer.membership.workspaceId,
      actor: { userId: viewer.user.id, label: viewer.user.email },
      profileId: id,
    });
    const body = JSON.stringify(data, (_key, value) => (typeof value === "bigint" ? value.toString() : value), 2);
    return new Response(body, {
      headers: {
        "content-type": "application/json; charset=utf-8",
        "content-disposition": `attachment; filename="profile-${id.replace(/[^\w-]/g, "")}.json"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    if (error instanceof DomainError) return Response.json({ error: error.message }, { status: 404 });
    throw error;
  }
}
