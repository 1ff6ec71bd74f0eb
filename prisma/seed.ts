import { randomBytes } from "node:crypto";
import { hashPassword } from "better-auth/crypto";
import type { Db } from "../server/db/client";
import { createWorkspace } from "../server/workspaces/service";
import { insertApiKey } from "../server/keys/service";

/** Demo mode only (embedded database): README documents these credentials. */
export const DEMO_EMAIL = "demo@junction.local";
export const DEMO_PASSWORD = "junction-demo";
export const DEMO_WORKSPACE = "Acme Fitness (demo)";
export const DEMO_WRITE_KEY = "demo-write-key";
export const DEMO_SECRET_KEY = "demo-secret-key";

/**
 * Seeds the demo workspace once: an admin you can sign in with. Does nothing when the
 * instance already has users, so restarts keep your data as it is.
 */
export async function seedDemo(db: Db, log: (line: string) => void = () => {}): Promise<boolean> {
  if ((await db.user.count()) > 0) return false;
  const userId = randomBytes(16).toString("hex");
  const password = await hashPassword(DEMO_PASSWORD);
  await db.$transaction(async (tx) => {
    await tx.user.create({
      data: { id: userId, name: "Demo Admin", email: DEMO_EMAIL, emailVerified: true },
    });
    await tx.account.create({
      data: {
        id: randomBytes(16).toString("hex"),
        accountId: userId,
        providerId: "credential",
        userId,
        password,
      },
    });
    const workspace = await createWorkspace(tx, { name: DEMO_WORKSPACE, userId, actorLabel: "seed" });
    await insertApiKey(tx, { workspaceId: workspace.id, name: "Demo write key", kind: "write", createdById: userId, raw: DEMO_WRITE_KEY });
    await insertApiKey(tx, { workspaceId: workspace.id, name: "Demo secret key", kind: "secret", createdById: userId, raw: DEMO_SECRET_KEY });
  });
  log(`seeded demo workspace "${DEMO_WORKSPACE}" — sign in as ${DEMO_EMAIL} / ${DEMO_PASSWORD}; write key ${DEMO_WRITE_KEY}, secret key ${DEMO_SECRET_KEY}`);
  return true;
}
