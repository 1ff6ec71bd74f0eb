import { DomainError } from "@/server/errors";
import { createHash, randomBytes } from "node:crypto";
import type { Db, DbTx } from "@/server/db/client";
import { recordAudit, type Actor } from "@/server/audit/service";
import { auditDiff } from "@/lib/audit/redact";

export type ApiKeyKind = "write" | "secret";

/** Write keys ingest events (HTTP Basic username); secret keys read data (Bearer). */
export const KEY_PREFIX: Record<ApiKeyKind, string> = { write: "jw_", secret: "js_" };

/**
 * Valid keys are remembered for a few seconds, so ingestion does not look its key up on every
 * request. Revoking in this process takes effect at once; other app instances stop accepting
 * the key within AUTH_CACHE_MS.
 */
export const AUTH_CACHE_MS = 5_000;
// On globalThis: Next.js may load this module once per bundle, and a revoke in one route
// must clear the cache the ingestion route reads.
const globalForKeys = globalThis as unknown as { junctionAuthCache?: Map<string, { until: number; workspaceId: string; keyId: string }> };
const authCache = (globalForKeys.junctionAuthCache ??= new Map());

export function hashKey(raw: string): string {
  return createHash("sha256").update(raw).digest("hex");
}

/** What lists show: the first characters, never the key. */
export function displayPrefix(raw: string): string {
  return `${raw.slice(0, Math.min(8, Math.max(3, raw.length - 4)))}…`;
}

/** Stores a key whose raw value the caller chose (the demo keys) or a fresh random one. */
export async function insertApiKey(
  tx: DbTx,
  input: { workspaceId: string; name: string; kind: ApiKeyKind; createdById: string | null; raw?: string },
) {
  const raw = input.raw ?? `${KEY_PREFIX[input.kind]}${randomBytes(24).toString("base64url")}`;
  const key = await tx.apiKey.create({
    data: {
      workspaceId: input.workspaceId,
      name: input.name,
      kind: input.kind,
      prefix: displayPrefix(raw),
      keyHash: hashKey(raw),
      createdById: input.createdById,
    },
  });
  return { key, raw };
}

export async function createApiKey(
  db: Db,
  input: { workspaceId: string; actor: Actor; name: string; kind: ApiKeyKind },
) {
  return db.$transaction(async (tx) => {
    const created = await insertApiKey(tx, { ...input, createdById: input.actor.userId });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "api_key.created",
      target: { type: "api_key", id: created.key.id },
      diff: auditDiff(undefined, { name: input.name, kind: input.kind, prefix: created.key.prefix }),
    });
    return created;
  });
}

export async function revokeApiKey(db: Db, input: { workspaceId: string; actor: Actor; keyId: string }) {
  await db.$transaction(async (tx) => {
    const key = await tx.apiKey.findFirst({ where: { id: input.keyId, workspaceId: input.workspaceId, revokedAt: null } });
    if (!key) throw new DomainError("NOT_FOUND", "This key does not exist or is already revoked.");
    await tx.apiKey.update({ where: { id: key.id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: "api_key.revoked",
      target: { type: "api_key", id: key.id },
      diff: auditDiff({ name: key.name, kind: key.kind, prefix: key.prefix }, undefined),
    });
  });
  for (const [cacheKey, entry] of authCache) if (entry.keyId === input.keyId) authCache.delete(cacheKey);
}

export async function listApiKeys(db: DbTx, workspaceId: string) {
  return db.apiKey.findMany({
    where: { workspaceId },
    select: { id: true, name: true, kind: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true, createdBy: { select: { email: true } } },
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
  });
}

const LAST_USED_PRECISION_MS = 60_000;

/** The workspace a raw key belongs to, or null for unknown, revoked or wrong-kind keys. */
export async function authenticateKey(db: Db, raw: string, kind: ApiKeyKind): Promise<{ workspaceId: string; keyId: string } | null> {
  if (!raw || raw.length > 200) return null;
  const keyHash = hashKey(raw);
  const now = Date.now();
  const cached = authCache.get(`${kind}:${keyHash}`);
  if (cached && cached.until > now) return { workspaceId: cached.workspaceId, keyId: cached.keyId };

  const key = await db.apiKey.findUnique({
    where: { keyHash },
    select: { id: true, workspaceId: true, kind: true, revokedAt: true, lastUsedAt: true },
  });
  if (!key || key.revokedAt || key.kind !== kind) return null;
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_PRECISION_MS) {
    // At most once a minute per key: "last used" without a write per request.
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  if (authCache.size >= 10_000) authCache.clear();
  authCache.set(`${kind}:${keyHash}`, { until: now + AUTH_CACHE_MS, workspaceId: key.workspaceId, keyId: key.id });
  return { workspaceId: key.workspaceId, keyId: key.id };
}
