import { randomBytes } from "node:crypto";
import type { Db } from "@/server/db/client";
import type { Role } from "@/lib/auth/roles";
import { createWorkspace } from "@/server/workspaces/service";
import type { Viewer } from "@/server/auth/viewer-cache";

export async function createUser(db: Db, email = `${randomBytes(4).toString("hex")}@example.com`) {
  return db.user.create({ data: { id: randomBytes(12).toString("hex"), name: email.split("@")[0]!, email } });
}

/** A workspace with an admin, plus members with the given roles. */
export async function createWorkspaceWith(db: Db, roles: Role[] = []) {
  const admin = await createUser(db);
  const workspace = await db.$transaction((tx) =>
    createWorkspace(tx, { name: `Test ${randomBytes(3).toString("hex")}`, userId: admin.id, actorLabel: admin.email }),
  );
  const members = [];
  for (const role of roles) {
    const user = await createUser(db);
    await db.membership.create({ data: { workspaceId: workspace.id, userId: user.id, role } });
    members.push({ user, role });
  }
  return { workspace, admin, members };
}

export function viewerFor(user: { id: string; name: string; email: string }, workspace: { id: string; name: string }, role: Role): Viewer {
  return {
    user: { id: user.id, name: user.name, email: user.email },
    membership: { workspaceId: workspace.id, workspaceName: workspace.name, role },
  };
}
