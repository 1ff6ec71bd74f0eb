import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, auditDiff, isSecretKey, redactSecrets } from "./redact";

describe("redactSecrets", () => {
  it("replaces secret-looking keys at any depth and keeps the rest", () => {
    const input = {
      name: "SMTP",
      password: "hunter2",
      config: { host: "smtp.example.com", apiKey: "sk_live_1", nested: [{ token: "t", port: 587 }] },
      keyHash: "abc",
    };
    expect(redactSecrets(input)).toEqual({
      name: "SMTP",
      password: REDACTED,
      config: { host: "smtp.example.com", apiKey: REDACTED, nested: [{ token: REDACTED, port: 587 }] },
      keyHash: REDACTED,
    });
  });

  it("knows which keys hold secrets", () => {
    for (const key of ["password", "secret", "clientSecret", "api_key", "apiKey", "accessToken", "authorization", "private_key", "key", "credentials", "tokenHash"]) {
      expect(isSecretKey(key), key).toBe(true);
    }
    for (const key of ["name", "email", "role", "monkey", "keyboard", "host", "port", "description"]) {
      expect(isSecretKey(key), key).toBe(false);
    }
  });

  it("never lets a secret value through, whatever the shape (property)", () => {
    const secret = "S3CR3T-VALUE";
    const secretKey = fc.constantFrom("password", "token", "apiKey", "client_secret", "privateKey");
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.string(),
        fc.integer(),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.string().filter((k) => !isSecretKey(k)), tie("node"), { maxKeys: 3 }),
        fc.tuple(secretKey, tie("node")).map(([k, v]) => ({ [k]: { inner: secret, v } })),
      ),
    })).node;
    fc.assert(
      fc.property(tree, (value) => {
        expect(JSON.stringify(redactSecrets(value) ?? null)).not.toContain(secret);
      }),
    );
  });
});

describe("auditDiff", () => {
  it("lists only changed fields with before and after", () => {
    expect(auditDiff({ name: "A", tz: "UTC" }, { name: "B", tz: "UTC" })).toEqual({ name: { from: "A", to: "B" } });
  });

  it("describes creation and deletion", () => {
    expect(auditDiff(undefined, { email: "a@b.c" })).toEqual({ email: { to: "a@b.c" } });
    expect(auditDiff({ email: "a@b.c" }, undefined)).toEqual({ email: { from: "a@b.c" } });
  });

  it("records that a secret changed without recording it", () => {
    expect(auditDiff({ password: "old" }, { password: "new" })).toEqual({ password: { from: REDACTED, to: REDACTED } });
    expect(auditDiff({ password: "same" }, { password: "same" })).toEqual({});
  });
});
