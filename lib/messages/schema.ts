import { z } from "zod";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";

/**
 * A message template's content, per channel: what a marketer writes in the Messages area,
 * in Liquid (lib/messages/render.ts). The same schema validates the editor's saves, every
 * frozen version read back from the database, and what the preview renders.
 */

export const MESSAGE_CHANNELS = ["email", "sms", "push", "webhook", "inapp"] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];
export const ZMessageChannel = z.enum(MESSAGE_CHANNELS);

export const CHANNEL_LABELS: Record<MessageChannel, string> = {
  email: "Email",
  sms: "SMS",
  push: "Push",
  webhook: "Webhook",
  inapp: "In-app",
};

/** Sizes that keep a template something a person wrote, and a render something a server does quickly. */
export const TEMPLATE_LIMITS = {
  /** Characters of one field's source (an email's HTML is the largest). */
  html: 200_000,
  text: 50_000,
  line: 1_000,
  /** Characters of a rendered field: a loop cannot make a message larger than this. */
  output: 1_000_000,
  /** Milliseconds one render may take. */
  renderMs: 250,
  partials: 50,
} as const;

const storable = { message: UNSTORABLE_MESSAGE };
const line = (max: number = TEMPLATE_LIMITS.line) => z.string().max(max, { message: `must be at most ${max} characters` }).regex(STORABLE, storable);
const long = (max: number) => z.string().max(max, { message: `must be at most ${max.toLocaleString("en-US")} characters` }).regex(STORABLE, storable);

/**
 * The subscription group a message belongs to (lib/consent): a person who left it, or never
 * joined an opt-in group, is not sent it. None: transactional (an order confirmation).
 */
const ZGroup = z.string().max(64).nullable().default(null);

export const ZEmailContent = z.object({
  channel: z.literal("email"),
  subscriptionGroupId: ZGroup,
  subject: line(),
  /** The line inboxes show after the subject; hidden in the body. */
  preheader: line().default(""),
  html: long(TEMPLATE_LIMITS.html),
  /** The plain-text part; empty: generated from the HTML. */
  text: long(TEMPLATE_LIMITS.text).default(""),
});

export const ZSmsContent = z.object({
  channel: z.literal("sms"),
  subscriptionGroupId: ZGroup,
  text: long(5_000),
});

export const ZPushContent = z.object({
  channel: z.literal("push"),
  subscriptionGroupId: ZGroup,
  title: line(200),
  body: line(),
  /** Opened when the notification is tapped. */
  url: line(2_000).default(""),
  icon: line(2_000).default(""),
});

export const ZWebhookContent = z.object({
  channel: z.literal("webhook"),
  subscriptionGroupId: ZGroup,
  /** The request body (usually JSON; `| json` quotes a value). */
  body: long(TEMPLATE_LIMITS.text),
});

export const ZInAppContent = z.object({
  channel: z.literal("inapp"),
  subscriptionGroupId: ZGroup,
  title: line(200),
  body: long(5_000),
  buttonLabel: line(60).default(""),
  buttonUrl: line(2_000).default(""),
});

export const ZTemplateContent = z.discriminatedUnion("channel", [ZEmailContent, ZSmsContent, ZPushContent, ZWebhookContent, ZInAppContent]);
export type TemplateContent = z.infer<typeof ZTemplateContent>;
export type EmailContent = z.infer<typeof ZEmailContent>;

/** The Liquid fields of each channel's content, in the order the editor shows them. */
export const TEMPLATE_FIELDS: { [C in MessageChannel]: { key: string; label: string; multiline: boolean; html?: boolean }[] } = {
  email: [
    { key: "subject", label: "Subject", multiline: false },
    { key: "preheader", label: "Preheader", multiline: false },
    { key: "html", label: "HTML body", multiline: true, html: true },
    { key: "text", label: "Text version", multiline: true },
  ],
  sms: [{ key: "text", label: "Text", multiline: true }],
  push: [
    { key: "title", label: "Title", multiline: false },
    { key: "body", label: "Body", multiline: false },
    { key: "url", label: "Link", multiline: false },
    { key: "icon", label: "Icon URL", multiline: false },
  ],
  webhook: [{ key: "body", label: "Body", multiline: true }],
  inapp: [
    { key: "title", label: "Title", multiline: false },
    { key: "body", label: "Body", multiline: true },
    { key: "buttonLabel", label: "Button label", multiline: false },
    { key: "buttonUrl", label: "Button link", multiline: false },
  ],
};

/**
 * What a new template of each channel starts with: a working example, not a blank page.
 * An email uses the workspace's `header` and `footer` partials when it has them.
 */
export function starterContent(channel: MessageChannel, partialNames: string[] = []): TemplateContent {
  switch (channel) {
    case "email": {
      const header = partialNames.includes("header") ? "{% render 'header' %}\n" : "";
      const footer = partialNames.includes("footer")
        ? "{% render 'footer' %}\n"
        : '<p style="color:#6b7280;font-size:12px"><a href="{{ unsubscribe_url }}">Unsubscribe</a> · <a href="{{ preferences_url }}">Email preferences</a></p>\n';
      return {
        channel,
        subscriptionGroupId: null,
        subject: "Hi {{ person.first_name | default: \"there\" }}, a quick note",
        preheader: "",
        html: header
          ? `${header}<p>Hi {{ person.first_name | default: "there" }},</p>\n<p>Write your message here.</p>\n${footer}`
          : `<div style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2937;max-width:560px;margin:0 auto;padding:24px">\n<p>Hi {{ person.first_name | default: "there" }},</p>\n<p>Write your message here.</p>\n${footer}</div>\n`,
        text: "",
      };
    }
    case "sms":
      return { channel, subscriptionGroupId: null, text: "Hi {{ person.first_name | default: \"there\" }}! Reply STOP to opt out." };
    case "push":
      return { channel, subscriptionGroupId: null, title: "Hi {{ person.first_name | default: \"there\" }}", body: "Something new is waiting for you.", url: "", icon: "" };
    case "webhook":
      return { channel, subscriptionGroupId: null, body: `{\n  "userId": {{ person.user_id | json }},\n  "event": {{ event.name | json }}\n}\n` };
    case "inapp":
      return { channel, subscriptionGroupId: null, title: "Want a short analysis?", body: "You looked at this a few times. We can walk you through it.", buttonLabel: "Show me", buttonUrl: "" };
  }
}

/** Partials: `{% render 'footer' %}`. Names are what the tag refers to. */
export const ZPartialName = z
  .string()
  .trim()
  .min(1, { message: "is required" })
  .max(60)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, { message: "may hold only lowercase letters, digits, - and _" });
export const ZPartialBody = long(TEMPLATE_LIMITS.text);

export const ZTemplateName = z.string().trim().min(1, { message: "is required" }).max(120).regex(STORABLE, storable);
