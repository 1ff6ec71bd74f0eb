import { generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fcmBody, readServiceAccount, tokenAssertion } from "./fcm";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
const account = {
  type: "service_account",
  project_id: "acme-app-1234",
  private_key_id: "key-1",
  private_key: privateKey,
  client_email: "junction@acme-app-1234.iam.gserviceaccount.com",
  token_uri: "https://oauth2.googleapis.com/token",
};

describe("an FCM service account", () => {
  it("is read from its JSON, with a usable RSA key", () => {
    const read = readServiceAccount(JSON.stringify(account));
    expect(read.ok && read.account.client_email).toBe(account.client_email);
  });

  it("names what is wrong, never quoting the key", () => {
    expect(readServiceAccount(JSON.stringify({ ...account, client_email: undefined }))).toEqual({ ok: false, message: "The service-account JSON is not usable: client_email is missing." });
    // Looks like PEM, but the inside is not a key.
    const mangled = privateKey.replace(/(-----\n)([A-Za-z0-9+/]{20})/, "$1AAAAAAAAAAAAAAAAAAAA");
    const broken = readServiceAccount(JSON.stringify({ ...account, private_key: mangled }));
    expect(broken).toEqual({ ok: false, message: "The service-account JSON is not usable: private_key is not a readable private key (was it cut short or edited?)." });
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256", privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    expect(readServiceAccount(JSON.stringify({ ...account, private_key: ec.privateKey }))).toEqual({ ok: false, message: "The service-account JSON is not usable: private_key must be an RSA key." });
    const body = privateKey.split("\n")[5]!;
    for (const text of [JSON.stringify({ ...account, private_key: mangled }), JSON.stringify({ ...account, client_email: 5 }), JSON.stringify(account).slice(0, 900)]) {
      const answer = readServiceAccount(text);
      expect(answer.ok).toBe(false);
      expect(JSON.stringify(answer)).not.toContain(body);
    }
  });

  it("signs an RS256 assertion Google can check", () => {
    const read = readServiceAccount(JSON.stringify(account));
    if (!read.ok) throw new Error(read.message);
    const now = Date.UTC(2026, 0, 1);
    const jwt = tokenAssertion(read, "https://oauth2.googleapis.com/token", now);
    const [header, claims, signature] = jwt.split(".") as [string, string, string];
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT", kid: "key-1" });
    expect(JSON.parse(Buffer.from(claims, "base64url").toString())).toEqual({
      iss: account.client_email,
      scope: "https://www.googleapis.com/auth/firebase.messaging",
      aud: "https://oauth2.googleapis.com/token",
      iat: now / 1000,
      exp: now / 1000 + 3600,
    });
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, "base64url"))).toBe(true);
  });
});

describe("the FCM v1 message", () => {
  it("carries the notification, the link for browsers and the data", () => {
    expect(fcmBody("device-token", { title: "Hi", body: "There", image: "https://cdn.acme.test/i.png", url: "https://acme.test/offer", data: { offer: "42" } })).toEqual({
      message: {
        token: "device-token",
        notification: { title: "Hi", body: "There", image: "https://cdn.acme.test/i.png" },
        webpush: { fcm_options: { link: "https://acme.test/offer" } },
        data: { offer: "42" },
      },
    });
    expect(fcmBody("t", { title: "Hi", body: "There" })).toEqual({ message: { token: "t", notification: { title: "Hi", body: "There" } } });
    expect(fcmBody("t", { title: "Hi", body: "There", ttlSeconds: 60, icon: "https://acme.test/i.png" })).toEqual({
      message: { token: "t", notification: { title: "Hi", body: "There" }, webpush: { headers: { TTL: "60" }, notification: { icon: "https://acme.test/i.png" } }, android: { ttl: "60s" } },
    });
  });
});
