import type { Db, DbTx } from "@/server/db/client";
import { env } from "@/server/env";
import { decryptSecret, encryptSecret, parseKeyring, secretHint, type Keyring } from "./credentials";

/**
 * Secrets as rows (`secrets`): written and read only here, each bound to its workspace,
 * owner and name. What leaves this module for a response is `SecretState` — whether it is
 * set and its hint — never the value; the value is read only where a provider is called.
 */

let cached: { source: string | undefined; keyring: Keyring } | undefined;

/** The keyring from JUNCTION_SECRET_KEY (parsed once per value). */
export function masterKeyring(): Keyring {
  const source = env().JUNCTION_SECRET_KEY;
  if (!cached || cached.source !== source) cached = { source, keyring: parseKeyring(source) };
  return cached.keyring;
}

export interface SecretState {
  name: string;
  set: true;
  /** Last two characters ("…34"), or null for short secrets. */
  hint: string | null;
  updatedAt: Date;
}

const context = (workspaceId: string, owner: string, name: string) => `${workspaceId}:${owner}:${name}`;

/** Sets (or replaces) one secret, in the caller's transaction. */
export async function putSecret(tx: DbTx, input: { workspaceId: string; owner: string; name: string; value: string; keyring?: Keyring }): Promise<SecretState> {
  const keyring = input.keyring ?? masterKeyring();
  const ciphertext = encryptSecret(keyring, input.value, context(input.workspaceId, input.owner, input.name));
  const data = { ciphertext, keyId: keyring.current.id, hint: secretHint(input.value) };
  const row = await tx.secret.upsert({
    where: { workspaceId_owner_name: { workspaceId: input.workspaceId, owner: input.owner, name: input.name } },
    create: { workspaceId: input.workspaceId, owner: input.owner, name: input.name, ...data },
    update: data,
  });
  return { name: row.name, set: true, hint: row.hint, updatedAt: row.updatedAt };
}

/** The plaintext, for calling a provider; null when it was never set. */
export async function readSecret(db: DbTx, input: { workspaceId: string; owner: string; name: string; keyring?: Keyring }): Promise<string | null> {
  const row = await db.secret.findUnique({ where: { workspaceId_owner_name: { workspaceId: input.workspaceId, owner: input.owner, name: input.name } } });
  if (!row) return null;
  return decryptSecret(input.keyring ?? masterKeyring(), row.ciphertext, context(input.workspaceId, input.owner, input.name));
}

/** Which of an owner's secrets are set, for settings pages: never a value. */
export async function describeSecrets(db: DbTx, input: { workspaceId: string; owner: string }): Promise<SecretState[]> {
  return (await describeSecretsOf(db, { workspaceId: input.workspaceId, owners: [input.owner] })).get(input.owner) ?? [];
}

/** The same for several owners in one query (a list of channels), by owner. */
export async function describeSecretsOf(db: DbTx, input: { workspaceId: string; owners: string[] }): Promise<Map<string, SecretState[]>> {
  const rows = await db.secret.findMany({
    where: { workspaceId: input.workspaceId, owner: { in: input.owners } },
    orderBy: [{ owner: "asc" }, { name: "asc" }],
    select: { owner: true, name: true, hint: true, updatedAt: true },
  });
  const out = new Map<string, SecretState[]>();
  for (const r of rows) out.set(r.owner, [...(out.get(r.owner) ?? []), { name: r.name, set: true, hint: r.hint, updatedAt: r.updatedAt }]);
  return out;
}

/** Removes an owner's secrets: all of them, or the one named. */
export async function deleteSecrets(tx: DbTx, input: { workspaceId: string; owner: string; name?: string }): Promise<number> {
  return (await tx.secret.deleteMany({ where: input })).count;
}

/**
 * Re-encrypts every secret not under the current key (`npm run secrets:rotate`), a batch
 * per transaction, each row locked while it changes. Returns how many were re-encrypted and
 * how many could not be read (their key is no longer listed), which are left as they are.
 */
export async function rotateSecrets(db: Db, input: { keyring?: Keyring; batch?: number } = {}): Promise<{ rotated: number; unreadable: { id: string; keyId: string }[] }> {
  const keyring = input.keyring ?? masterKeyring();
  const batch = input.batch ?? 200;
  let rotated = 0;
  const unreadable: { id: string; keyId: string }[] = [];
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; workspace_id: string; owner: string; name: string; ciphertext: string; key_id: string }[]>`
        SELECT id, workspace_id, owner, name, ciphertext, key_id FROM secrets
         WHERE key_id <> ${keyring.current.id} AND NOT (id = ANY(${unreadable.map((u) => u.id)}::text[]))
         ORDER BY id LIMIT ${batch}::int FOR UPDATE SKIP LOCKED`;
      for (const row of rows) {
        const where = context(row.workspace_id, row.owner, row.name);
        let plaintext: string;
        try {
          plaintext = decryptSecret(keyring, row.ciphertext, where);
        } catch {
          unreadable.push({ id: row.id, keyId: row.key_id });
          continue;
        }
        await tx.secret.update({ where: { id: row.id }, data: { ciphertext: encryptSecret(keyring, plaintext, where), keyId: keyring.current.id } });
        rotated++;
      }
      return rows.length === 0;
    });
    if (done) return { rotated, unreadable };
  }
}
