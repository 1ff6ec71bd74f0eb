import type { Db } from "@/server/db/client";
import { recordAudit, type Actor } from "@/server/audit/service";
import { ingestMessage, isRefused } from "@/server/ingest/service";
import type { ImportRow } from "@/lib/profiles/csv-import";

/**
 * Imports one chunk of CSV rows. Each row is an identify for its id — the same path as
 * live ingestion, so merge rules, traits and the timeline behave the same — with a
 * message id per (import, line): re-sending a chunk never imports a row twice.
 */
export async function importProfiles(
  db: Db,
  input: { workspaceId: string; actor: Actor; importId: string; fileName: string; rows: ImportRow[]; receivedAt?: Date },
) {
  const receivedAt = input.receivedAt ?? new Date();
  const failed: { line: number; error: string }[] = [];
  let imported = 0;
  for (const row of input.rows) {
    try {
      const outcome = await ingestMessage(db, {
        workspaceId: input.workspaceId,
        receivedAt,
        message: {
          type: "identify",
          messageId: `csv-import:${input.importId}:${row.line}`,
          userId: row.id,
          anonymousId: undefined,
          traits: { ...row.traits, ...(row.email ? { email: row.email } : {}) },
          context: { library: { name: "junction-csv-import" }, import: { file: input.fileName } },
          timestamp: undefined,
          originalTimestamp: undefined,
          sentAt: undefined,
        },
      });
      if (outcome === "suppressed") failed.push({ line: row.line, error: "this person was deleted on request (GDPR) and is not imported again" });
      else if (isRefused(outcome)) failed.push({ line: row.line, error: outcome.refused });
      else imported += 1;
    } catch (error) {
      console.error("CSV import row failed:", error);
      failed.push({ line: row.line, error: "could not be stored; try the import again" });
    }
  }
  await recordAudit(db, {
    workspaceId: input.workspaceId,
    actor: input.actor,
    action: "profiles.imported",
    target: { type: "import", id: input.importId },
    diff: { file: { to: input.fileName }, imported: { to: imported }, failed: { to: failed.length } },
  });
  return { imported, failed };
}
