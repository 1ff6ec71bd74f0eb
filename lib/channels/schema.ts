import { z } from "zod";

/**
 * What an admin enters for a channel, apart from its secrets (which travel separately,
 * write-only: server/channels/secrets.ts). Validated here so the form, the API and the
 * provider agree.
 */

const ZHost = z
  .string()
  .trim()
  .min(1, { message: "is required" })
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/, { message: "must be a host name or an IP address" });

export const SMTP_SECURITY = ["none", "starttls", "tls"] as const;

export const ZSender = z.object({
  name: z.string().trim().max(100),
  address: z.email({ message: "must be an email address" }),
  replyTo: z.email({ message: "must be an email address" }).optional(),
});

export const ZSmtpSettings = z.object({
  host: ZHost,
  port: z.number().int().min(1).max(65_535),
  /** none: plain; starttls: upgrade after connecting (587); tls: TLS from the start (465). */
  security: z.enum(SMTP_SECURITY),
  user: z.string().max(320).optional(),
  /** Keep connections open between messages (journeys send many). */
  pool: z.boolean().default(true),
  senders: z.array(ZSender).min(1, { message: "needs at least one sender" }).max(20),
});
export type SmtpSettings = z.infer<typeof ZSmtpSettings>;
export type Sender = z.infer<typeof ZSender>;

/** The usual port for each kind of security, for the form's default. */
export const SMTP_DEFAULT_PORT: Record<(typeof SMTP_SECURITY)[number], number> = { none: 25, starttls: 587, tls: 465 };
