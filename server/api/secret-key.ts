import "server-only";
import { db } from "../db";
import { authenticateKey } from "../keys/service";

/** For the read API: `Authorization: Bearer <secret key>` → the key's workspace, or a 401 response. */
export async function requireSecretKey(req: Request): Promise<{ workspaceId: string } | Response> {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  const auth = match ? await authenticateKey(db(), match[1]!, "secret") : null;
  if (!auth) {
    return Response.json(
      { error: match ? "invalid or revoked secret key" : "missing secret key (Authorization: Bearer …)" },
      { status: 401, headers: { "www-authenticate": 'Bearer realm="junction"' } },
    );
  }
  return { workspaceId: auth.workspaceId };
}
