import "server-only";
import { db } from "@/server/db";
import { Refusal } from "@/server/http/api";
import { authenticateKey } from "./service";

/** For the read API: `Authorization: Bearer <secret key>` → the key's workspace, or a 401 `Refusal` (answered by `apiHandler`). */
export async function requireSecretKey(req: Request): Promise<{ workspaceId: string }> {
  const header = req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  const auth = match ? await authenticateKey(db(), match[1]!, "secret") : null;
  if (!auth) {
    throw new Refusal(401, match ? "invalid or revoked secret key" : "missing secret key (Authorization: Bearer …)", {}, { "www-authenticate": 'Bearer realm="junction"' });
  }
  return { workspaceId: auth.workspaceId };
}
