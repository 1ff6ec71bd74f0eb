import path from "node:path";
import { env } from "@/server/env";
import { DomainError } from "@/server/errors";
import { listCaught, readCaught, type CaughtMail, type CaughtMeta } from "@/server/demo/inbox-store";

/**
 * Messages → Demo inbox: what the demo catcher caught (server/demo/smtp-catcher.ts), read
 * from `<JUNCTION_DATA_DIR>/inbox`. Exists in demo mode only (JUNCTION_DEMO=1, which only the
 * start command sets, and only without DATABASE_URL): elsewhere every call is a 404.
 */

export function demoInboxAvailable(): boolean {
  return env().JUNCTION_DEMO;
}

function inboxDir(): string {
  if (!demoInboxAvailable()) throw new DomainError("NOT_FOUND", "There is no demo inbox: it exists only in demo mode (npm start without DATABASE_URL).");
  return path.resolve(env().JUNCTION_DATA_DIR, "inbox");
}

export async function listDemoInbox(input: { cursor?: string | null; limit: number }): Promise<{ items: CaughtMeta[]; nextCursor: string | null; total: number }> {
  return listCaught(inboxDir(), input);
}

export async function readDemoInbox(id: string): Promise<CaughtMail> {
  const mail = await readCaught(inboxDir(), id);
  if (!mail) throw new DomainError("NOT_FOUND", "This message is not in the demo inbox (any more): it keeps the latest 500.");
  return mail;
}
