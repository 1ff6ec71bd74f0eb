import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";
import { SMTPServer } from "smtp-server";

export interface CaughtMail {
  from: string;
  to: string[];
  raw: string;
  /** Whether the message came over TLS (implicit TLS, or upgraded with STARTTLS). */
  secure: boolean;
}

export interface SmtpSinkOptions {
  /**
   * "starttls": plain connection offering STARTTLS (port 587 style); "tls": TLS from the first
   * byte (port 465 style). Without it the sink is plain and offers no STARTTLS.
   */
  tls?: "starttls" | "tls";
  /** The certificate to serve; by default a self-signed one for localhost and 127.0.0.1, made now. */
  certificate?: { key: string; cert: string };
}

/** A self-signed certificate for these names (DNS names and IP addresses), valid for a day. */
export async function selfSignedCertificate(names: string[] = ["localhost", "127.0.0.1"]): Promise<{ key: string; cert: string }> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: "commonName", value: names[0] ?? "localhost" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames: names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

/**
 * A real SMTP server on 127.0.0.1 for tests: one account (any other sign-in gets
 * "535 Authentication failed", as real servers answer), every message kept in `received`.
 * With `tls`, it speaks TLS with a self-signed certificate (`ca` is that certificate, for a
 * client that should trust it).
 */
export async function startSmtpSink(account: { user: string; password: string }, options: SmtpSinkOptions = {}) {
  const received: CaughtMail[] = [];
  const certificate = options.tls ? (options.certificate ?? (await selfSignedCertificate())) : undefined;
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    ...(options.tls === undefined ? { disabledCommands: ["STARTTLS"] } : { key: certificate!.key, cert: certificate!.cert, secure: options.tls === "tls" }),
    onAuth(auth, _session, callback) {
      if (auth.username === account.user && auth.password === account.password) return callback(null, { user: account.user });
      callback(Object.assign(new Error("Authentication failed"), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          secure: session.secure,
        });
        callback();
      });
    },
  });
  // A client that gives up on our certificate, or a worker killed mid-message, drops the connection: not the sink's failure.
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    /** The certificate a client must trust (PEM), when the sink speaks TLS. */
    ca: certificate?.cert,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
