/**
 * Secrets never reach the audit log: any key that looks like it holds one is replaced,
 * at any depth, before an entry is written.
 */
export const REDACTED = "[redacted]";

const SECRET_KEY =
  /pass(word|phrase)?|secret|token|api[-_]?key|private[-_]?key|authorization|credential|cookie|(^|[-_])key$|hash$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        isSecretKey(k) ? REDACTED : redactSecrets(v),
      ]),
    );
  }
  return value;
}

export type AuditDiff = Record<string, { from?: unknown; to?: unknown }>;

/**
 * The fields that differ between two versions of a record, as `{ field: { from, to } }`,
 * secrets redacted. `before` undefined means created, `after` undefined means deleted.
 */
export function auditDiff(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): AuditDiff {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const diff: AuditDiff = {};
  for (const key of [...keys].sort()) {
    const from = before?.[key];
    const to = after?.[key];
    if (JSON.stringify(redactSecrets(from)) === JSON.stringify(redactSecrets(to))) continue;
    const secret = isSecretKey(key);
    diff[key] = {
      ...(before && key in before ? { from: secret ? REDACTED : redactSecrets(from) } : {}),
      ...(after && key in after ? { to: secret ? REDACTED : redactSecrets(to) } : {}),
    };
  }
  return diff;
}
