import { describe, expect, it } from "vitest";
import { plainMessage } from "@/lib/messages";
import { parseServiceAccount, ZPushSettings, ZSmsSettings, ZSmtpSettings, ZWebhookSettings, ZWebPushSubscription } from "./schema";

describe("SMTP settings", () => {
  const valid = { host: "smtp.example.com", port: 587, security: "starttls", user: "apikey", senders: [{ name: "Acme", address: "hello@acme.test" }] };

  it("takes a host, port, security and at least one sender", () => {
    expect(ZSmtpSettings.parse(valid)).toEqual({ ...valid, pool: true });
    expect(ZSmtpSettings.parse({ ...valid, host: "[2001:db8::1]" }).host).toBe("[2001:db8::1]");
  });

  it("names each problem in words", () => {
    const result = ZSmtpSettings.safeParse({ ...valid, host: "smtp example.com/", port: 0, security: "ssl", senders: [] });
    expect(result.success).toBe(false);
    const messages = result.error!.issues.map((i) => `${i.path.join(".")} ${plainMessage(i)}`);
    expect(messages).toEqual([
      "host must be a host name or an IP address",
      "port must be at least 1",
      "security must be one of “none”, “starttls”, “tls”",
      "senders needs at least one sender",
    ]);
    const sender = ZSmtpSettings.safeParse({ ...valid, senders: [{ name: "x", address: "not-an-email" }] });
    expect(sender.error!.issues.map((i) => plainMessage(i))).toEqual(["must be an email address"]);
  });
});

const problems = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string; code: string }[] } }) =>
  (result.error?.issues ?? []).map((i) => `${i.path.map(String).join(".")} ${plainMessage(i as Parameters<typeof plainMessage>[0])}`.trim());

describe("SMS (Twilio) settings", () => {
  const sid = "AC" + "0123456789abcdef".repeat(2);
  it("takes an account, a from number or messaging service, and Twilio's address by default", () => {
    expect(ZSmsSettings.parse({ accountSid: sid, from: "+4915123456789" })).toEqual({ accountSid: sid, from: "+4915123456789", baseUrl: "https://api.twilio.com" });
    expect(ZSmsSettings.parse({ accountSid: sid, messagingServiceSid: "MG" + "a".repeat(32), baseUrl: "http://127.0.0.1:4010/" }).baseUrl).toBe("http://127.0.0.1:4010");
    expect(ZSmsSettings.parse({ accountSid: sid, from: "AcmeFit" }).from).toBe("AcmeFit");
  });

  it("names what is wrong", () => {
    expect(problems(ZSmsSettings.safeParse({ accountSid: "AC123", apiKeySid: "AC" + "0".repeat(32), baseUrl: "ftp://x" }))).toEqual([
      "accountSid must be an Account SID: AC followed by 32 hexadecimal characters",
      "apiKeySid must be an API key SID: SK followed by 32 hexadecimal characters",
      "baseUrl must start with https:// or http://",
      "from needs a from number or a messaging service",
    ]);
    expect(problems(ZSmsSettings.safeParse({ accountSid: sid }))).toEqual(["from needs a from number or a messaging service"]);
    expect(problems(ZSmsSettings.safeParse({ accountSid: sid, from: "0151 2345", baseUrl: "https://user:pw@api.example.com?x=1" }))).toEqual([
      "from must be a phone number like +4915123456789 or a sender name of up to 11 letters and digits",
      "baseUrl must not contain a user name or password (use headers)",
      "baseUrl must not contain a ? query",
    ]);
  });
});

describe("webhook settings", () => {
  it("fills method, headers, body and timeout", () => {
    expect(ZWebhookSettings.parse({ url: "https://hooks.example.com/in?src=junction" })).toEqual({
      url: "https://hooks.example.com/in?src=junction",
      method: "POST",
      headers: {},
      body: "",
      timeoutMs: 10_000,
    });
  });

  it("refuses headers Junction sets itself, connection headers and header injection", () => {
    const result = ZWebhookSettings.safeParse({
      url: "https://hooks.example.com/in",
      method: "GET",
      headers: {
        Authorization: "Bearer abc",
        "junction-signature": "t=1,v1=00",
        "Idempotency-Key": "x",
        Host: "internal",
        "Bad Name": "x",
        "X-Split": "a\r\nX-Injected: yes",
        "X-Nul": "a\u0000b",
        "x-emoji": "🙂",
        "x-dup": "1",
        "X-Dup": "2",
      },
      timeoutMs: 120_000,
    });
    expect(problems(result)).toEqual([
      "method must be one of “POST”, “PUT”, “PATCH”",
      "headers.junction-signature is set by Junction on every request and cannot be changed",
      "headers.Idempotency-Key is set by Junction on every request and cannot be changed",
      "headers.Host belongs to the connection and cannot be set",
      "headers.Bad Name is not a valid header name (letters, digits and - only, at most 100)",
      "headers.X-Split must be text on one line (no line breaks, control characters or characters beyond Latin-1)",
      "headers.X-Nul must be text on one line (no line breaks, control characters or characters beyond Latin-1)",
      "headers.x-emoji must be text on one line (no line breaks, control characters or characters beyond Latin-1)",
      "headers.X-Dup is given twice (header names ignore case)",
      "timeoutMs must be at most 30,000",
    ]);
  });
});

describe("push settings", () => {
  const publicKey = "B" + "A".repeat(86);
  it("takes Web Push, FCM or both", () => {
    expect(ZPushSettings.parse({ webPush: { publicKey, subject: "mailto:ops@acme.test" } })).toEqual({ webPush: { publicKey, subject: "mailto:ops@acme.test" } });
    expect(ZPushSettings.parse({ fcm: { projectId: "acme-app-1234" } })).toEqual({ fcm: { projectId: "acme-app-1234", baseUrl: "https://fcm.googleapis.com" } });
    expect(problems(ZPushSettings.safeParse({}))).toEqual(["needs Web Push or FCM (or both)"]);
    expect(problems(ZPushSettings.safeParse({ webPush: { publicKey: "abc", subject: "http://acme.test" }, fcm: { projectId: "Acme App" } }))).toEqual([
      "webPush.publicKey must be a VAPID public key (87 characters of URL-safe base64, starting with B)",
      "webPush.subject must be a mailto: address or an https:// address (push services contact you there)",
      "fcm.projectId must be a Firebase project ID (lowercase letters, digits and hyphens, like acme-app-1234)",
    ]);
  });

  it("checks a browser's subscription", () => {
    const subscription = { endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: { p256dh: publicKey, auth: "A".repeat(22) } };
    expect(ZWebPushSubscription.safeParse(subscription).success).toBe(true);
    expect(problems(ZWebPushSubscription.safeParse({ endpoint: "javascript:alert(1)", keys: { p256dh: "x", auth: "" } }))).toEqual([
      "endpoint must start with https:// or http://",
      "keys.p256dh must be the subscription's p256dh key (URL-safe base64 of 65 bytes)",
      "keys.auth must be the subscription's auth secret (URL-safe base64 of 16 bytes)",
    ]);
  });
});

describe("a pasted service-account JSON", () => {
  const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
  const account = { type: "service_account", project_id: "acme-app-1234", private_key_id: "k1", private_key: key, client_email: "junction@acme-app-1234.iam.gserviceaccount.com" };

  it("names the field that is missing or malformed", () => {
    expect(parseServiceAccount(JSON.stringify(account))).toMatchObject({ ok: true, account });
    expect(parseServiceAccount(JSON.stringify({ ...account, private_key: undefined }))).toEqual({ ok: false, message: "The service-account JSON is not usable: private_key is missing." });
    expect(parseServiceAccount(JSON.stringify({ ...account, client_email: "junction" }))).toEqual({
      ok: false,
      message: "The service-account JSON is not usable: client_email must be an email.",
    });
    expect(parseServiceAccount(JSON.stringify({ ...account, type: "authorized_user", private_key: "hunter2" })).ok).toBe(false);
    expect(parseServiceAccount("[]")).toEqual({ ok: false, message: "The service-account JSON must be an object ({ … }) as downloaded from Google." });
  });

  it("never quotes the text back, not even when it is not JSON", () => {
    const secret = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-planted";
    const broken = `{"type": "service_account",\n "private_key": "${secret}" oops }`;
    const answer = parseServiceAccount(broken);
    expect(answer).toEqual({ ok: false, message: "The service-account JSON is not valid JSON (line 2, column 60)." });
    expect(answer.ok ? "" : answer.message).not.toContain("planted");
    expect(JSON.stringify(parseServiceAccount(JSON.stringify({ ...account, private_key: secret })))).not.toContain(secret);
    expect(parseServiceAccount("x".repeat(30_000)).ok).toBe(false);
  });
});
