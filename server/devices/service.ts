import { randomUUID } from "node:crypto";
import type { DbTx, Sql } from "@/server/db/client";
import { maskToken, planDeviceWrites, type DeviceKind, type DeviceOp } from "@/lib/channels/devices";
import type { WebPushSubscription } from "@/lib/channels/schema";
import { DomainError } from "@/server/errors";

/**
 * A person's push devices: FCM tokens of their apps and Web Push subscriptions of their
 * browsers. They arrive through the tracking API ("Device Registered" / "Device
 * Unregistered", lib/channels/devices.ts) and are written in the ingest transaction
 * (`writeDeviceChanges`); merges move them, GDPR deletion removes them (foreign key), and
 * the sender reads them (`devicesOf`) and drops a token its provider calls invalid
 * (`dropDevice`).
 */

export interface Device {
  id: string;
  kind: DeviceKind;
  /** The FCM registration token, or the Web Push endpoint. */
  token: string;
  /** Web Push: the subscription's keys; FCM: null. */
  keys: WebPushSubscription["keys"] | null;
  platform: string | null;
  createdAt: Date;
  lastSeenAt: Date;
}

/**
 * Applies one batch's device changes (in message order) inside the ingest transaction:
 * one upsert statement and one delete statement at most, devices in (kind, token) order.
 * A token registered to another person moves to this one.
 */
export async function writeDeviceChanges(tx: Sql, workspaceId: string, ops: DeviceOp[]): Promise<void> {
  if (ops.length === 0) return;
  const writes = planDeviceWrites(ops);
  const upserts = writes.flatMap((w) =>
    w.op === "upsert" ? [{ id: randomUUID(), profile_id: w.profileId, kind: w.kind, token: w.token, keys: w.keys, platform: w.platform, at: w.at.toISOString() }] : [],
  );
  const deletes = writes.flatMap((w) => (w.op === "delete" ? [{ kind: w.kind, token: w.token, owners: w.ownerIds }] : []));
  if (upserts.length > 0) {
    await tx.execute`
      INSERT INTO devices (id, workspace_id, profile_id, kind, token, keys, platform, created_at, last_seen_at)
      SELECT d.id, ${workspaceId}::text, d.profile_id, d.kind, d.token, d.keys, d.platform, d.at, d.at
        FROM jsonb_to_recordset(${JSON.stringify(upserts)}::jsonb)
             AS d(id text, profile_id text, kind text, token text, keys jsonb, platform text, at timestamptz)
      ON CONFLICT (workspace_id, kind, token) DO UPDATE
         SET profile_id = EXCLUDED.profile_id,
             keys = EXCLUDED.keys,
             platform = COALESCE(EXCLUDED.platform, devices.platform),
             -- Registered again by the same person: the same device, seen again. By another
             -- person: a new registration (a shared phone, a browser someone else signed in to).
             created_at = CASE WHEN devices.profile_id = EXCLUDED.profile_id THEN devices.created_at ELSE EXCLUDED.created_at END,
             last_seen_at = CASE WHEN devices.profile_id = EXCLUDED.profile_id THEN GREATEST(devices.last_seen_at, EXCLUDED.last_seen_at)
                                 ELSE EXCLUDED.last_seen_at END`;
  }
  if (deletes.length > 0) {
    await tx.execute`
      DELETE FROM devices d
       USING jsonb_to_recordset(${JSON.stringify(deletes)}::jsonb) AS x(kind text, token text, owners jsonb)
       WHERE d.workspace_id = ${workspaceId}::text AND d.kind = x.kind AND d.token = x.token
         AND (x.owners IS NULL OR jsonb_typeof(x.owners) = 'null' OR x.owners ? d.profile_id)`;
  }
}

const DEVICE_SELECT = { id: true, kind: true, token: true, keys: true, platform: true, createdAt: true, lastSeenAt: true } as const;

/** A person's devices, most recently seen first, with their credentials: for the sender only. */
export async function devicesOf(db: DbTx, input: { workspaceId: string; profileId: string }): Promise<Device[]> {
  const rows = await db.device.findMany({
    where: { workspaceId: input.workspaceId, profileId: input.profileId },
    orderBy: [{ lastSeenAt: "desc" }, { id: "asc" }],
    select: DEVICE_SELECT,
  });
  return rows.map((r) => ({ ...r, kind: r.kind as DeviceKind, keys: (r.keys as Device["keys"]) ?? null }));
}

/**
 * Forgets a token: the sender calls this when the provider says it is no longer valid (FCM
 * UNREGISTERED, Web Push 404/410). Returns whether there was one.
 */
export async function dropDevice(db: DbTx, input: { workspaceId: string; kind: DeviceKind; token: string }): Promise<boolean> {
  const { count } = await db.device.deleteMany({ where: { workspaceId: input.workspaceId, kind: input.kind, token: input.token } });
  return count > 0;
}

/** At most this many devices are shown on a profile (real people have a handful). */
const SHOWN = 100;

/**
 * A person's devices for the profile page: kind, platform, the token shortened
 * (`maskToken`; the credentials never leave the server), when registered and last seen.
 */
export async function listProfileDevices(db: DbTx, input: { workspaceId: string; profileId: string }) {
  const owned = await db.profile.count({ where: { id: input.profileId, workspaceId: input.workspaceId } });
  if (!owned) throw new DomainError("NOT_FOUND", "This profile does not exist (it may have been merged or deleted).");
  const rows = await db.device.findMany({
    where: { workspaceId: input.workspaceId, profileId: input.profileId },
    orderBy: [{ lastSeenAt: "desc" }, { id: "asc" }],
    take: SHOWN + 1,
    select: { id: true, kind: true, token: true, platform: true, createdAt: true, lastSeenAt: true },
  });
  return {
    devices: rows.slice(0, SHOWN).map(({ token, ...r }) => ({ ...r, token: maskToken(r.kind, token) })),
    more: rows.length > SHOWN,
  };
}
