import type { Prisma } from "@/server/generated/prisma/client";
import { ZSmtpSettings, type SmtpSettings } from "@/lib/channels/schema";
import { auditDiff } from "@/lib/audit/redact";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db } from "@/server/db/client";

/**
 * The demo workspace's email channel, "Demo inbox (local)": plain SMTP to the catcher the
 * start command runs beside the app in demo mode (server/demo/smtp-catcher.ts). Created by
 * the demo seed; on every demo start `pointDemoInboxChannel` gives it the catcher's port.
 *
 * It is known by its id, which no other channel can have (theirs are cuids), so renaming it
 * or changing its senders keeps it the demo channel. If an admin points it somewhere else
 * (another host, or TLS), it is theirs and the start leaves it alone.
 */

export const DEMO_INBOX_CHANNEL_ID = "demo-inbox";
export const DEMO_INBOX_CHANNEL_NAME = "Demo inbox (local)";
export const DEMO_INBOX_HOST = "127.0.0.1";
/** Until the first start tells it the catcher's real port (usually this one: server/demo/smtp-catcher.ts). */
const PLACEHOLDER_PORT = 2525;

export function demoInboxSettings(port: number): SmtpSettings {
  return { host: DEMO_INBOX_HOST, port, security: "none", pool: true, senders: [{ name: "Acme Fitness", address: "hello@acme.example" }] };
}

/** Seeds the channel (with its audit entry, as if an admin had connected it). */
export async function seedDemoInboxChannel(db: Db, workspaceId: string, actor: Actor): Promise<void> {
  const settings = demoInboxSettings(PLACEHOLDER_PORT);
  await db.$transaction(async (tx) => {
    await tx.channel.create({
      data: { id: DEMO_INBOX_CHANNEL_ID, workspaceId, kind: "email", name: DEMO_INBOX_CHANNEL_NAME, settings: settings as unknown as Prisma.InputJsonValue },
    });
    await recordAudit(tx, {
      workspaceId,
      actor,
      action: "channel.created",
      target: { type: "channel", id: DEMO_INBOX_CHANNEL_ID },
      diff: auditDiff(undefined, { name: DEMO_INBOX_CHANNEL_NAME, settings }),
    });
  });
}

export type PointOutcome = "updated" | "unchanged" | "missing" | "left-alone";

/**
 * Points the demo channel at the catcher's port: demo mode only (scripts/run.ts), only that
 * channel, only while it still goes to the catcher's host without TLS. The change is audited
 * (it happens only when the port had to move).
 */
export async function pointDemoInboxChannel(db: Db, port: number): Promise<PointOutcome> {
  return db.$transaction(async (tx) => {
    const row = await tx.channel.findUnique({ where: { id: DEMO_INBOX_CHANNEL_ID } });
    if (!row || row.kind !== "email") return "missing";
    const parsed = ZSmtpSettings.safeParse(row.settings);
    if (!parsed.success || parsed.data.host !== DEMO_INBOX_HOST || parsed.data.security !== "none") return "left-alone";
    if (parsed.data.port === port) return "unchanged";
    // Everything else as it is (also what the schema does not know).
    const settings = { ...(row.settings as Record<string, unknown>), port };
    await tx.channel.update({ where: { id: row.id }, data: { settings: settings as Prisma.InputJsonValue } });
    await recordAudit(tx, {
      workspaceId: row.workspaceId,
      actor: { userId: null, label: "demo mode" },
      action: "channel.updated",
      target: { type: "channel", id: row.id },
      diff: auditDiff({ settings: { port: parsed.data.port } }, { settings: { port } }),
    });
    return "updated";
  });
}
