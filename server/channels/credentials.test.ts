import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ciphertextKeyId, decryptSecret, encryptSecret, keyIdOf, newMasterKey, parseKeyring, secretHint, SecretKeyError } from "./credentials";

describe("secrets at rest", () => {
  const oldKey = newMasterKey();
  const newKey = newMasterKey();

  it("round-trips any text, and the ciphertext shows none of it", () => {
    const keyring = parseKeyring(oldKey);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (plaintext) => {
        const sealed = encryptSecret(keyring, plaintext, "ws:channel:c1:password");
        expect(decryptSecret(keyring, sealed, "ws:channel:c1:password")).toBe(plaintext);
        if (plaintext.length >= 4) expect(sealed).not.toContain(plaintext);
      }),
    );
  });

  it("never encrypts the same value the same way twice", () => {
    const keyring = parseKeyring(oldKey);
    expect(encryptSecret(keyring, "hunter2-hunter2", "c")).not.toBe(encryptSecret(keyring, "hunter2-hunter2", "c"));
  });

  it("refuses a ciphertext that was changed, or moved to another field", () => {
    const keyring = parseKeyring(oldKey);
    const sealed = encryptSecret(keyring, "smtp-password-1234", "ws1:channel:c1:password");
    expect(() => decryptSecret(keyring, sealed, "ws1:channel:c2:password")).toThrow(SecretKeyError);
    const parts = sealed.split(".");
    const body = Buffer.from(parts[4]!, "base64url");
    body[0]! ^= 1;
    parts[4] = body.toString("base64url");
    expect(() => decryptSecret(keyring, parts.join("."), "ws1:channel:c1:password")).toThrow(/does not decrypt/);
    expect(() => decryptSecret(keyring, "plain text", "x")).toThrow(/not a Junction ciphertext/);
  });

  it("reads old ciphertexts while the old key is still listed, and names a missing key", () => {
    const before = parseKeyring(oldKey);
    const sealed = encryptSecret(before, "twilio-token-abcdef", "ctx");
    expect(ciphertextKeyId(sealed)).toBe(keyIdOf(Buffer.from(oldKey, "base64")));
    const rotating = parseKeyring(`${newKey}, ${oldKey}`);
    expect(rotating.current.id).toBe(keyIdOf(Buffer.from(newKey, "base64")));
    expect(decryptSecret(rotating, sealed, "ctx")).toBe("twilio-token-abcdef");
    expect(ciphertextKeyId(encryptSecret(rotating, "x", "ctx"))).toBe(rotating.current.id);
    expect(() => decryptSecret(parseKeyring(newKey), sealed, "ctx")).toThrow(new RegExp(`key ${before.current.id}`));
  });

  it("says what is wrong with a master key, without repeating it", () => {
    expect(() => parseKeyring(undefined)).toThrow(/JUNCTION_SECRET_KEY is not set/);
    const short = randomBytes(16).toString("base64");
    expect(() => parseKeyring(short)).toThrow(/16 bytes.*must be 32/);
    try {
      parseKeyring(short);
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    // Either base64 alphabet.
    const key = randomBytes(32);
    expect(parseKeyring(key.toString("base64url")).current.id).toBe(parseKeyring(key.toString("base64")).current.id);
  });

  it("hints at a secret by its last two characters only when it is long enough", () => {
    expect(secretHint("SG.abcdefghijkl34")).toBe("34");
    expect(secretHint("short")).toBeNull();
  });
});
