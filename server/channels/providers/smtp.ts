import { createHash } from "node:crypto";
import { isIP } from "node:net";
import nodemailer, { type Transporter } from "nodemailer";
import type { SmtpSettings } from "@/lib/channels/schema";
import { checkHost, type OutboundPolicy } from "@/server/channels/ssrf";

/**
 * Email over SMTP with nodemailer. The host is resolved and checked like every outbound
 * target (server/channels/ssrf.ts) and the connection made to that address, with TLS
 * verifying the name people typed. Answers are the SMTP server's own words
 * ("535 Authentication failed"), so an admin sees what the server said.
 */

export interface SmtpOutcome {
  ok: boolean;
  /** The server's reply, or what went wrong on the way to it. */
  message: string;
}

export interface EmailMessage {
  from: { name: string; address: string };
  replyTo?: string;
  to: string;
  subject: string;
  html?: string;
  text?: string;
  headers?: Record<string, string>;
  /** A stable Message-ID (`<…@…>`): a retried send is recognisable as the same message. */
  messageId?: string;
}

async function transportFor(settings: SmtpSettings, password: string | null, policy: OutboundPolicy, timeoutMs: number) {
  const target = await checkHost(settings.host, policy);
  return nodemailer.createTransport({
    host: target.address,
    port: settings.port,
    secure: settings.security === "tls",
    requireTLS: settings.security === "starttls",
    ignoreTLS: settings.security === "none",
    auth: settings.user ? { user: settings.user, pass: password ?? "" } : undefined,
    // TLS checks the name people typed (an IP address has none to send as SNI).
    tls: isIP(settings.host.replace(/^\[(.*)\]$/, "$1")) ? {} : { servername: settings.host },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    pool: settings.pool,
    ...(settings.pool ? { maxConnections: POOL_CONNECTIONS, maxMessages: 1_000 } : {}),
  });
}

/** Connections a pooled channel keeps open to its server. */
const POOL_CONNECTIONS = 5;
/** A pool is rebuilt this often, so its pinned address follows DNS (and is checked again). */
const POOL_TTL_MS = 5 * 60_000;
const pools = new Map<string, { transport: Transporter; created: number }>();

/**
 * Sends through a pool of open connections kept per server, account and password: what
 * journeys use, since a connection (and a TLS handshake, and a login) per message is the
 * slow part of SMTP. A failed send closes its pool; the next send opens a new one.
 */
export async function sendSmtpPooled(
  settings: SmtpSettings,
  password: string | null,
  message: EmailMessage,
  policy: OutboundPolicy = {},
  timeoutMs = 10_000,
): Promise<SmtpOutcome & { messageId?: string }> {
  const key = createHash("sha256").update(JSON.stringify([settings.host, settings.port, settings.security, settings.user ?? null, password, policy.allowPrivate ?? false])).digest("hex");
  let entry = pools.get(key);
  if (entry && Date.now() - entry.created > POOL_TTL_MS) {
    entry.transport.close();
    pools.delete(key);
    entry = undefined;
  }
  try {
    if (!entry) {
      entry = { transport: await transportFor({ ...settings, pool: true }, password, policy, timeoutMs), created: Date.now() };
      pools.set(key, entry);
    }
    const info = await entry.transport.sendMail({
      from: message.from,
      replyTo: message.replyTo,
      to: message.to,
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: message.headers,
      messageId: message.messageId,
    });
    return { ok: true, message: String(info.response ?? "250 Accepted"), messageId: info.messageId };
  } catch (error) {
    if (entry) {
      entry.transport.close();
      pools.delete(key);
    }
    return { ok: false, message: explain(error) };
  }
}

/** Closes every pooled connection (tests, shutdown). */
export function closeSmtpPools(): void {
  for (const entry of pools.values()) entry.transport.close();
  pools.clear();
}

function explain(error: unknown): string {
  const e = error as { response?: string; code?: string; message?: string };
  // The server's own reply when there is one; otherwise the connection problem.
  if (e.response) return e.response;
  const text = `${e.code ?? ""} ${e.message ?? String(error)}`;
  if (/ETIMEDOUT|ETIMEOUT|timeout/i.test(text)) return "The server did not answer in time (is the host and port right?).";
  if (/ECONNREFUSED/.test(text)) return "The server refused the connection (is the host and port right?).";
  if (/certificate|self[- ]signed|CERT_/i.test(text)) return `The server's TLS certificate was not accepted: ${e.message}`;
  if (/wrong version number|SSL routines/i.test(text)) return "TLS did not start: the port may expect another security setting (465: TLS, 587: STARTTLS).";
  return e.message ?? String(error);
}

/** Test connection: connect, (STARTTLS,) log in, and say how it went. Sends nothing. */
export async function verifySmtp(settings: SmtpSettings, password: string | null, policy: OutboundPolicy = {}, timeoutMs = 10_000): Promise<SmtpOutcome> {
  let transport;
  try {
    transport = await transportFor(settings, password, policy, timeoutMs);
    await transport.verify();
    return { ok: true, message: settings.user ? `Connected and signed in as ${settings.user}.` : "Connected." };
  } catch (error) {
    return { ok: false, message: explain(error) };
  } finally {
    transport?.close();
  }
}

/** Sends one message; resolves with the server's acceptance, or the reason it refused. */
export async function sendSmtp(
  settings: SmtpSettings,
  password: string | null,
  message: EmailMessage,
  policy: OutboundPolicy = {},
  timeoutMs = 10_000,
): Promise<SmtpOutcome & { messageId?: string }> {
  let transport;
  try {
    // One message, one connection; the journey runtime keeps pooled transports of its own.
    transport = await transportFor({ ...settings, pool: false }, password, policy, timeoutMs);
    const info = await transport.sendMail({
      from: message.from,
      replyTo: message.replyTo,
      to: message.to,
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: message.headers,
      messageId: message.messageId,
    });
    return { ok: true, message: info.response, messageId: info.messageId };
  } catch (error) {
    return { ok: false, message: explain(error) };
  } finally {
    transport?.close();
  }
}
