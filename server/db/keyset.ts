import { z } from "zod";
import { isStorableText } from "@/lib/storable";

/**
 * Keyset cursors for lists ordered by (time, id), newest first: opaque to clients
 * (base64url of `ISO time|id`), decoded and checked in one place. A cursor that was not
 * made here — garbled, a time Postgres cannot hold, an id out of range — is a 400 naming the
 * field (`ZCursor`), never a database error.
 */
export interface Keyset<Id extends string | bigint = string> {
  at: Date;
  id: Id;
}

/** 0001-01-01T00:00:00Z (Date.UTC would read year 1 as 1901) to 9999-12-31: what both JavaScript and Postgres hold. */
const MIN_TIME = -62_135_596_800_000;
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MAX_BIGINT = 2n ** 63n - 1n;

export function encodeKeyset(at: Date, id: string | bigint): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString("base64url");
}

export function decodeKeyset(raw: string, idKind: "text"): Keyset<string> | null;
export function decodeKeyset(raw: string, idKind: "bigint"): Keyset<bigint> | null;
export function decodeKeyset(raw: string, idKind: "text" | "bigint"): Keyset<string | bigint> | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(raw)) return null;
  const text = Buffer.from(raw, "base64url").toString("utf8");
  const bar = text.indexOf("|");
  if (bar < 0) return null;
  const iso = text.slice(0, bar);
  const id = text.slice(bar + 1);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(iso)) return null;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime()) || at.getTime() < MIN_TIME || at.getTime() > MAX_TIME) return null;
  if (idKind === "bigint") {
    if (!/^\d{1,19}$/.test(id) || BigInt(id) > MAX_BIGINT) return null;
    return { at, id: BigInt(id) };
  }
  if (!id || id.length > 200 || !isStorableText(id)) return null;
  return { at, id };
}

function zCursor<T>(decode: (raw: string) => T | null) {
  return z
    .string()
    .max(400)
    .transform((raw, ctx): T => {
      const decoded = decode(raw);
      if (decoded === null) {
        ctx.addIssue({ code: "custom", message: "is not a cursor of this list (use the one the previous page returned)" });
        return z.NEVER;
      }
      return decoded;
    });
}

/** Cursor inputs: decoded, or a validation error on the field ("cursor: is not a cursor of this list"). */
export const ZTextCursor = zCursor((raw) => decodeKeyset(raw, "text"));
export const ZBigintCursor = zCursor((raw) => decodeKeyset(raw, "bigint"));
