import { describe, expect, it } from "vitest";
import { plainMessage } from "@/lib/messages";
import { ZSmtpSettings } from "./schema";

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
