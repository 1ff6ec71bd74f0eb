import { randomBytes } from "node:crypto";
import { hashPassword } from "better-auth/crypto";
import type { Db } from "../server/db/client";
import { createWorkspace } from "../server/workspaces/service";
import { insertApiKey } from "../server/keys/service";
import { loadDemoData } from "../server/demo/load";
import { seedDemoConsent } from "../server/demo/consent";
import { seedDemoMessages } from "../server/demo/messages";
import { seedDemoInboxChannel } from "../server/demo/inbox-channel";
import { DEMO_EVENTS, DEMO_PROFILES, DEMO_SEED } from "../lib/demo/generator";

import { DEMO_EMAIL, DEMO_PASSWORD, DEMO_SECRET_KEY, DEMO_WORKSPACE, DEMO_WRITE_KEY } from "../lib/demo/account";
export { DEMO_EMAIL, DEMO_PASSWORD, DEMO_SECRET_KEY, DEMO_WORKSPACE, DEMO_WRITE_KEY };
export { DEMO_EVENTS, DEMO_PROFILES, DEMO_SEED };

export interface SeedDemoOptions {
  /** The database of `db`: with it, the demo workspace also gets generated profiles and events. */
  connectionString?: string;
  profiles?: number;
  events?: number;
  /** The generated history ends here (default: now). */
  now?: Date;
}

/**
 * Seeds the demo workspace once: an admin you can sign in with and, given the connection
 * string, DEMO_PROFILES people with DEMO_EVENTS events of the last 180 days. Does nothing
 * when the instance already has users, so restarts keep your data as it is.
 */
export async function seedDemo(db: Db, log: (line: string) => void = () => {}, options: SeedDemoOptions = {}): Promise<boolean> {
  if ((await db.user.count()) > 0) return false;
  const userId = randomBytes(16).toString("hex");
  const password = await hashPassword(DEMO_PASSWORD);
  const workspaceId = await db.$transaction(async (tx) => {
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
    return workspace.id;
  });
  try {
    if (options.connectionString) {
      const profiles = options.profiles ?? DEMO_PROFILES;
      const events = options.events ?? DEMO_EVENTS;
      const result = await loadDemoData(options.connectionString, { workspaceId, profiles, events, seed: DEMO_SEED, now: options.now ?? new Date() });
      log(`loaded ${profiles} demo profiles and ${events} events in ${(result.ms / 1000).toFixed(1)} s`);
    }
    // Subscription groups, and who left or joined them (after the people exist).
    await seedDemoConsent(db, workspaceId, options.now ?? new Date());
    // Templates and partials (after the groups: marketing messages belong to one).
    await seedDemoMessages(db, workspaceId, { userId, label: "seed" });
    // The email channel to demo mode's local mail catcher (its port is set on every start: scripts/run.ts).
    await seedDemoInboxChannel(db, workspaceId, { userId, label: "seed" });
  } catch (error) {
    // Nothing half-seeded: without the user the next start seeds again.
    await db.workspace.delete({ where: { id: workspaceId } });
    await db.user.delete({ where: { id: userId } });
    throw error;
  }
  log(`seeded demo workspace "${DEMO_WORKSPACE}" — sign in as ${DEMO_EMAIL} / ${DEMO_PASSWORD}; write key ${DEMO_WRITE_KEY}, secret key ${DEMO_SECRET_KEY}`);
  return true;
}
