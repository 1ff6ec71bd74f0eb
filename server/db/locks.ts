import type { DbTx } from "./client";

/**
 * Serialises one kind of change per workspace for the rest of the transaction: a check
 * followed by a write ("is there another admin?", "does this create a cycle?") is only
 * sound when nobody else can check and write the same thing in between. Transactions read
 * committed data after the lock is granted, so the check sees what the other one wrote.
 */
export type WorkspaceLock = "members" | "segment-references";

export async function lockWorkspace(tx: DbTx, workspaceId: string, topic: WorkspaceLock): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`junction:${topic}:${workspaceId}`}, 0))`;
}
