import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Provider secrets (SMTP passwords, Twilio tokens, FCM service accounts, webhook signing
 * keys) encrypted at rest with AES-256-GCM under a master key that never reaches the
 * database: `JUNCTION_SECRET_KEY`, one or more base64 keys of 32 bytes separated by commas.
 * The first key encrypts; every listed key decrypts. Each ciphertext names its key by id
 * (the first 8 hex digits of the key's SHA-256), so rotating is: put the new key first,
 * keep the old one after it, run `npm run secrets:rotate`, then drop the old one.
 *
 * A ciphertext is bound to what it belongs to (`context`, e.g. "channel:ch_1:password") as
 * GCM's additional data: copied onto another row or field, it does not decrypt.
 *
 *   v1.<key id>.<iv>.<tag>.<ciphertext>      (base64url parts)
 */

export interface Keyring {
  /** The key new ciphertexts are made with. */
  current: { id: string; key: Buffer };
  byId: Map<string, Buffer>;
}

export class SecretKeyError extends Error {}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = "v1";

export function keyIdOf(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/** A new master key, as JUNCTION_SECRET_KEY takes it. */
export function newMasterKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

/** JUNCTION_SECRET_KEY → a keyring; a clear error naming what is wrong (never the key itself). */
export function parseKeyring(value: string | undefined): Keyring {
  if (!value || value.trim() === "") throw new SecretKeyError("JUNCTION_SECRET_KEY is not set. Generate one with: openssl rand -base64 32");
  const keys = value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, i) => {
      const key = Buffer.from(part, "base64"); // Node reads both base64 alphabets
      if (key.length !== KEY_BYTES) {
        throw new SecretKeyError(`JUNCTION_SECRET_KEY: key ${i + 1} is ${key.length} bytes once decoded; it must be 32 (openssl rand -base64 32)`);
      }
      return key;
    });
  const byId = new Map(keys.map((key) => [keyIdOf(key), key] as const));
  return { current: { id: keyIdOf(keys[0]!), key: keys[0]! }, byId };
}

export function encryptSecret(keyring: Keyring, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyring.current.key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, keyring.current.id, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), body.toString("base64url")].join(".");
}

/** The plaintext, or a SecretKeyError that says why not (unknown key, tampered, other context). */
export function decryptSecret(keyring: Keyring, ciphertext: string, context: string): string {
  const parts = ciphertext.split(".");
  if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretKeyError("not a Junction ciphertext");
  const [, id, iv, tag, body] = parts as [string, string, string, string, string];
  const key = keyring.byId.get(id);
  if (!key) throw new SecretKeyError(`encrypted with key ${id}, which JUNCTION_SECRET_KEY does not list (add it back after the current key, then run npm run secrets:rotate)`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretKeyError("the secret does not decrypt: it was changed, or belongs to another field");
  }
}

/** The id of the key a ciphertext was made with. */
export function ciphertextKeyId(ciphertext: string): string | null {
  const parts = ciphertext.split(".");
  return parts.length === 5 && parts[0] === VERSION ? parts[1]! : null;
}

/** What the UI may show of a secret: its last two characters ("ends in …34"), nothing for short ones. */
export function secretHint(plaintext: string): string | null {
  const chars = [...plaintext];
  return chars.length >= 12 ? chars.slice(-2).join("") : null;
}

/** Constant-time comparison of two strings (signatures, tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
