import { capWindowStart, capsFor, quietUntil, ZFrequencyCaps, type FrequencyCap } from "@/lib/journeys/caps";
import { ZJourneyDefinition } from "@/lib/journeys/schema";
import { isTimeZone } from "@/lib/journeys/time";
import { maskToken } from "@/lib/channels/devices";
import { renderTemplate, type RenderedContent } from "@/lib/messages/render";
import type { TemplateContent } from "@/lib/messages/schema";
import { eventVariables, personVariables } from "@/lib/messages/variables";
import { configOf } from "@/server/channels/service";
import { consentForSend } from "@/server/consent/service";
import type { Db, DbTx } from "@/server/db/client";
import { storeInAppMessage } from "@/server/inapp/service";
import { linksOf, sendThrough } from "@/server/messages/send";
import { templateVersion } from "@/server/messages/templates";
import { sqlTransaction } from "@/server/db/client";
import { isDatabaseUnavailable } from "@/server/db/errors";
import { isRetryable } from "@/server/feed/consumer";
import { loadVersions, versionKey } from "./versions";

/**
 * The sender: makes the journey sends the stepper queued (delivery rows, unique per
 * enrollment, node and visit), once each.
 *
 * 1. In one transaction, queued sends that are due are locked (SKIP LOCKED: workers share
 *    them), and each is decided: the person left the journey (goal, exit criteria) → not
 *    sent; no address → suppressed; consent (read now) → suppressed; quiet hours in the
 *    person's time zone → held until they end (or skipped); a global frequency cap reached →
 *    suppressed. All with the reason. In-app messages are stored here (no provider: done).
 *    The rest are marked `sending`, rendered, with their recipient.
 * 2. After that commits, the providers are called (with the delivery id as idempotency key
 *    and a stable email Message-ID), and each answer is recorded: sent; a retryable failure
 *    goes back to `queued` with exponential backoff; a permanent one (or the last attempt)
 *    ends `failed` — the dead-letter list, with a Retry button — and the send node's
 *    `onFailure` says whether the person goes on or leaves the journey.
 *
 * A worker killed during step 2 leaves rows `sending`: `recoverSending` sends again those
 * whose provider was not called yet, and decides the others per channel (docs/journeys.md):
 * a webhook is sent again (the receiver dedupes by Idempotency-Key); email, SMS and push are
 * marked `unknown` and never sent twice.
 */

export const SEND_BATCH = 100;
/** Provider calls at once per worker. */
const CONCURRENCY = 16;
/** Attempts before a retryable failure is given up (the first one included). */
export const MAX_ATTEMPTS = 6;
/** 30 s, 1 min, 2 min… at most an hour. */
export const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** Math.max(attempts - 1, 0), 3_600_000);

/** Channels whose provider recognises a repeated request by our key: re-sent after a crash. */
export const RESEND_AFTER_CRASH: ReadonlySet<string> = new Set(["webhook"]);

export interface SendOptions {
  clock?: () => Date;
  batch?: number;
}

interface DueDelivery {
  id: string;
  workspace_id: string;
  channel: string;
  channel_id: string | null;
  profile_id: string;
  template_id: string | null;
  journey_id: string;
  enrollment_id: string | null;
  node_id: string | null;
  attempts: number;
  priority: number;
  version: number | null;
  enrollment_status: string | null;
  exit_reason: string | null;
  trigger_event: { name: string | null; properties: Record<string, unknown>; timestamp: string } | null;
}

type Decided =
  | { id: string; outcome: "final"; status: "suppressed" | "failed" | "sent"; reason: string | null; rendered?: RenderedContent; templateVersionId?: string | null; channelId?: string | null; recipient?: string }
  | { id: string; outcome: "held"; until: Date; reason: string }
  | { id: string; outcome: "send"; channel: ChannelRow; recipient: string; rendered: RenderedContent; links: ReturnType<typeof linksOf> | null; sender?: number; row: DueDelivery };

interface ChannelRow {
  id: string;
  workspaceId: string;
  kind: string;
  settings: unknown;
}

/** Reasons a person leaving the journey stops a send that was still queued. */
const LEFT: Record<string, string> = {
  goal: "reached the journey's goal",
  exit_criteria: "met the journey's exit criteria",
  archived: "the journey was archived with “exit everyone”",
  merged: "their profile was merged into another",
};

export async function sendDue(db: Db, options: SendOptions = {}): Promise<number> {
  const { decided, due, clock } = await db.$transaction(async (tx) => decideDue(tx, options), { timeout: 60_000, maxWait: 10_000 });
  // A send that failed before any provider was called (no channel, a template that does not render) says what happens next too.
  for (const d of decided) {
    if (d.outcome !== "final" || d.status !== "failed") continue;
    const row = due.find((r) => r.id === d.id);
    if (row) await recordOutcome(() => onFailedForGood(db, row, d.reason ?? "it failed", clock()));
  }
  const toSend = decided.filter((d): d is Extract<Decided, { outcome: "send" }> => d.outcome === "send");
  for (let i = 0; i < toSend.length; i += CONCURRENCY) {
    await Promise.all(toSend.slice(i, i + CONCURRENCY).map((d) => callProvider(db, d, { ...options, clock })));
  }
  return decided.length;
}

async function decideDue(tx: DbTx, options: SendOptions): Promise<{ decided: Decided[]; due: DueDelivery[]; clock: () => Date }> {
  const now = options.clock ? options.clock() : (await tx.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`)[0]!.now;
  // The database's clock from here on (this host's only measures the time since): sent times, retries and caps agree whatever the host's clock says.
  const hostAt = Date.now();
  const clock = options.clock ?? (() => new Date(now.getTime() + (Date.now() - hostAt)));
  // Per journey that is not paused, its oldest due sends (a paused journey's queue is never read).
  const batch = options.batch ?? SEND_BATCH;
  const due = await tx.$queryRaw<DueDelivery[]>`
    SELECT d.id, d.workspace_id, d.channel, d.channel_id, d.profile_id, d.template_id, d.journey_id, d.enrollment_id, d.node_id, d.attempts,
           d.priority, e.version, e.status AS enrollment_status, e.exit_reason, e.trigger_event
      FROM journeys j
     CROSS JOIN LATERAL (
           SELECT q.* FROM deliveries q
            WHERE q.journey_id = j.id AND q.status = 'queued' AND q.next_attempt_at <= ${now}::timestamptz
            ORDER BY q.next_attempt_at
            LIMIT ${batch}::int
              FOR UPDATE SKIP LOCKED) d
      LEFT JOIN journey_enrollments e ON e.id = d.enrollment_id
     WHERE j.status <> 'paused'
     ORDER BY d.next_attempt_at, d.priority DESC
     LIMIT ${batch}::int`;
  if (due.length === 0) return { decided: [], due, clock };

  const workspaceIds = [...new Set(due.map((d) => d.workspace_id))];
  const profileIds = [...new Set(due.map((d) => d.profile_id))];
  const [workspaces, profiles, channels, devices] = await Promise.all([
    tx.workspace.findMany({ where: { id: { in: workspaceIds } }, select: { id: true, defaultTimezone: true, frequencyCaps: true } }),
    tx.profile.findMany({ where: { id: { in: profileIds } }, select: { id: true, userId: true, email: true, phone: true, timezone: true, locale: true, country: true, traits: true, firstSeenAt: true, lastSeenAt: true } }),
    tx.channel.findMany({ where: { workspaceId: { in: workspaceIds } }, orderBy: { createdAt: "asc" }, select: { id: true, workspaceId: true, kind: true, settings: true } }),
    due.some((d) => d.channel === "push")
      ? tx.device.findMany({ where: { profileId: { in: profileIds } }, orderBy: { lastSeenAt: "desc" }, select: { profileId: true, kind: true, token: true, keys: true } })
      : [],
  ]);
  const workspaceOf = new Map(workspaces.map((w) => [w.id, { timeZone: isTimeZone(w.defaultTimezone) ? w.defaultTimezone : "UTC", caps: ZFrequencyCaps.catch([]).parse(w.frequencyCaps) }]));
  const profileOf = new Map(profiles.map((p) => [p.id, p]));
  const defs = await versionsOf(tx, due);

  // Frequency caps are counted under a lock per person (sorted: no deadlocks), so two workers never both take the last place.
  const capped = due.filter((d) => (workspaceOf.get(d.workspace_id)?.caps.length ?? 0) > 0).map((d) => d.profile_id);
  for (const id of [...new Set(capped)].sort()) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`junction:caps:${id}`}, 0))`;

  // Of one person's sends, the higher priority decides first (under a cap it may take the last place).
  const ordered = [...due].sort((a, b) => a.profile_id.localeCompare(b.profile_id) || b.priority - a.priority);
  const templates = new Map<string, Awaited<ReturnType<typeof latestTemplate>>>();
  const out: Decided[] = [];
  for (const d of ordered) {
    // Each in a savepoint: a send that cannot even be prepared fails alone, with the reason, and never holds up the batch.
    await tx.$executeRawUnsafe("SAVEPOINT send_decision");
    let decision: Decided;
    try {
      decision = await decideOne(tx, d, {
      now,
      workspace: workspaceOf.get(d.workspace_id) ?? { timeZone: "UTC", caps: [] },
      profile: profileOf.get(d.profile_id) ?? null,
      channels: channels.filter((c) => c.workspaceId === d.workspace_id),
      devices: devices.filter((v) => v.profileId === d.profile_id),
      def: d.version === null ? undefined : defs.get(versionKey(d.journey_id, d.version)),
      template: async (id) => {
        if (!templates.has(id)) templates.set(id, await latestTemplate(tx, d.workspace_id, id));
        return templates.get(id)!;
      },
      });
      await tx.$executeRawUnsafe("RELEASE SAVEPOINT send_decision");
    } catch (error) {
      await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT send_decision");
      if (isDatabaseUnavailable(error) || isRetryable(error)) throw error;
      decision = { id: d.id, outcome: "final", status: "failed", reason: `The message could not be prepared: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2_000) };
    }
    out.push(decision);
    await recordDecision(tx, decision, now);
  }
  return { decided: out, due, clock };
}

/** The journey versions of these sends (parsed once per process). */
async function versionsOf(tx: DbTx, due: DueDelivery[]) {
  const wanted = due.flatMap((d) => (d.version === null ? [] : [{ journeyId: d.journey_id, version: d.version }]));
  const out = new Map<string, ReturnType<typeof ZJourneyDefinition.parse>>();
  if (wanted.length === 0) return out;
  const rows = await tx.journeyVersion.findMany({ where: { OR: wanted.map((w) => ({ journeyId: w.journeyId, version: w.version })) }, select: { journeyId: true, version: true, definition: true } });
  for (const r of rows) {
    // A version that does not parse was not written by publishing: its sends go without its settings.
    const parsed = ZJourneyDefinition.safeParse(r.definition);
    if (parsed.success) out.set(versionKey(r.journeyId, r.version), parsed.data);
  }
  return out;
}

async function latestTemplate(tx: DbTx, workspaceId: string, templateId: string) {
  const latest = await tx.messageTemplateVersion.findFirst({ where: { templateId, template: { workspaceId } }, orderBy: { version: "desc" }, select: { id: true } });
  if (!latest) return null;
  const version = await templateVersion(tx, { workspaceId, versionId: latest.id });
  const group = version.content.subscriptionGroupId
    ? await tx.subscriptionGroup.findFirst({ where: { id: version.content.subscriptionGroupId, workspaceId }, select: { purpose: true } })
    : null;
  return { ...version, purpose: group?.purpose ?? "transactional" };
}

interface DecideContext {
  now: Date;
  workspace: { timeZone: string; caps: FrequencyCap[] };
  profile: { id: string; userId: string | null; email: string | null; phone: string | null; timezone: string | null; locale: string | null; country: string | null; traits: unknown; firstSeenAt: Date; lastSeenAt: Date } | null;
  channels: ChannelRow[];
  devices: { kind: string; token: string; keys: unknown }[];
  def: ReturnType<typeof ZJourneyDefinition.parse> | undefined;
  template: (id: string) => Promise<Awaited<ReturnType<typeof latestTemplate>>>;
}

const CHANNEL_WORDS: Record<string, string> = { email: "email", sms: "SMS", push: "push", webhook: "webhook", inapp: "in-app" };

async function decideOne(tx: DbTx, d: DueDelivery, ctx: DecideContext): Promise<Decided> {
  const final = (status: "suppressed" | "failed", reason: string): Decided => ({ id: d.id, outcome: "final", status, reason });
  if (d.enrollment_status && d.enrollment_status !== "active" && d.exit_reason && LEFT[d.exit_reason]) {
    return final("suppressed", `Not sent: the person left the journey before it went out (${LEFT[d.exit_reason]}).`);
  }
  const profile = ctx.profile;
  if (!profile) return final("suppressed", "Not sent: this person no longer exists.");
  const template = d.template_id ? await ctx.template(d.template_id) : null;
  if (d.template_id && !template) return final("failed", "The message's template no longer exists, or has no saved version.");
  const kind = d.channel;
  const channel = d.channel_id ? ctx.channels.find((c) => c.id === d.channel_id) : ctx.channels.find((c) => c.kind === kind);
  if (!channel) return final("failed", `No ${CHANNEL_WORDS[kind] ?? kind} channel is connected: connect one under Settings → Channels, then retry.`);

  // Who it goes to (`shown`: how the delivery log shows it, when that differs).
  let recipient: string | null = null;
  let shown: string | null = null;
  if (kind === "email") recipient = profile.email;
  else if (kind === "sms") recipient = profile.phone;
  else if (kind === "inapp") recipient = profile.userId ?? profile.id;
  else if (kind === "webhook") recipient = (channel.settings as { url?: string }).url ?? null;
  else if (kind === "push") {
    const device = ctx.devices[0];
    recipient = device ? (device.kind === "webpush" ? JSON.stringify({ endpoint: device.token, keys: device.keys }) : device.token) : null;
    // The delivery log shows the device as people may see it (docs/channels.md): never the token or the subscription's keys.
    if (device) shown = maskToken(device.kind, device.token);
  }
  if (!recipient) return final("suppressed", kind === "push" ? "Not sent: this person has no push device." : kind === "sms" ? "Not sent: this person has no phone number." : `Not sent: this person has no ${kind === "email" ? "email address" : "address for this channel"}.`);

  // Consent, read now.
  const content: TemplateContent | null = template?.content ?? null;
  const groupId = content?.subscriptionGroupId ?? null;
  const consent = await consentForSend(tx, { workspaceId: d.workspace_id, profileId: profile.id, groupId });
  if (!consent.allowed) return final("suppressed", `Not sent: ${consent.reason}`);

  // Quiet hours, in the person's time zone (else the workspace's).
  const zone = isTimeZone(profile.timezone) ? profile.timezone : ctx.workspace.timeZone;
  const quiet = ctx.def?.settings.quietHours;
  if (quiet && kind !== "webhook") {
    const until = quietUntil(ctx.now, quiet, zone);
    if (until) {
      const window = `${quiet.start}–${quiet.end} ${zone}`;
      if (quiet.mode === "skip") return final("suppressed", `Not sent: quiet hours (${window}); this journey skips messages then.`);
      return { id: d.id, outcome: "held", until, reason: `Held for quiet hours (${window}) until ${until.toISOString()}.` };
    }
  }

  // Global frequency caps, counted in the person's days.
  const purpose = template?.purpose ?? "transactional";
  for (const cap of capsFor(ctx.workspace.caps, kind, purpose)) {
    const since = capWindowStart(ctx.now, cap.days, zone);
    const [row] = await tx.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM deliveries
       WHERE profile_id = ${profile.id} AND id <> ${d.id} AND test = false AND status IN ('sending', 'sent', 'delivered', 'unknown')
         AND (${cap.channel}::text = 'any' OR channel = ${cap.channel}::text) AND (${cap.purpose}::text = 'any' OR purpose = ${cap.purpose}::text)
         AND COALESCE(sent_at, updated_at) >= ${since}::timestamptz`;
    if (Number(row!.n) >= cap.max) {
      const what = `${cap.max} ${cap.purpose === "any" ? "" : `${cap.purpose} `}${cap.channel === "any" ? "message" : `${CHANNEL_WORDS[cap.channel]} message`}${cap.max === 1 ? "" : "s"}`;
      return final("suppressed", `Not sent: frequency cap reached (at most ${what} per ${cap.days} day${cap.days === 1 ? "" : "s"}, counted in ${zone}).`);
    }
  }

  // Render with the person and the event that enrolled them.
  let rendered: RenderedContent = {};
  const links = content ? linksOf({ workspaceId: d.workspace_id, profileId: profile.id, groupId, channel: content.channel }) : null;
  if (content && links) {
    const event = d.trigger_event ? eventVariables(d.trigger_event) : eventVariables({ name: null, properties: {}, timestamp: ctx.now });
    const result = renderTemplate(content, { person: personVariables(profile), event, unsubscribe_url: links.unsubscribeUrl, preferences_url: links.preferencesUrl }, template!.partials);
    if (!result.ok) return final("failed", `The template did not render: ${result.errors.map((e) => `${e.field}: ${e.message}`).join("; ")}`);
    rendered = result.output;
  }
  await tx.delivery.update({ where: { id: d.id }, data: { purpose, templateVersionId: template?.id ?? null, channelId: channel.id, recipient: shown ?? recipient, rendered } });

  if (kind === "inapp") {
    const retentionDays = (configOf(channel).settings as { retentionDays?: number }).retentionDays ?? 90;
    await storeInAppMessage(tx, {
      workspaceId: d.workspace_id,
      profileId: profile.id,
      deliveryId: d.id,
      content: { title: rendered.title ?? "", body: rendered.body ?? "", buttonLabel: rendered.buttonLabel, buttonUrl: rendered.buttonUrl },
      expiresAt: new Date(ctx.now.getTime() + retentionDays * 86_400_000),
      now: ctx.now,
    });
    return { id: d.id, outcome: "final", status: "sent", reason: null };
  }
  const node = ctx.def?.nodes.find((n) => n.id === d.node_id);
  const sender = node?.kind === "send" ? node.sender : undefined;
  return { id: d.id, outcome: "send", channel, recipient, rendered, links, sender, row: d };
}

/** Stored with the sender's clock (the database's, or a test's): caps count by these times. */
async function recordDecision(tx: DbTx, decided: Decided, now: Date) {
  if (decided.outcome === "final") {
    await tx.delivery.update({ where: { id: decided.id }, data: { status: decided.status, reason: decided.reason, updatedAt: now, ...(decided.status === "sent" ? { sentAt: now } : {}) } });
  } else if (decided.outcome === "held") {
    await tx.delivery.update({ where: { id: decided.id }, data: { nextAttemptAt: decided.until, reason: decided.reason, updatedAt: now } });
  } else {
    // `sending` with next_attempt_at still set: claimed, the provider not called yet (see callProvider).
    await tx.delivery.update({ where: { id: decided.id }, data: { status: "sending", updatedAt: now } });
  }
}

async function callProvider(db: Db, d: Extract<Decided, { outcome: "send" }>, options: SendOptions) {
  // The moment of no return: from here the provider may have the message. Clearing
  // next_attempt_at says so — recovery sends a claimed row that was never called again, and
  // decides a called one by its channel's policy (recoverSending).
  const calling = await db.$executeRaw`
    UPDATE deliveries SET next_attempt_at = NULL, attempts = attempts + 1, updated_at = clock_timestamp() WHERE id = ${d.id} AND status = 'sending' AND next_attempt_at IS NOT NULL`;
  if (calling === 0) return;
  let outcome: { ok: boolean; message: string; providerMessageId?: string | null; retryable?: boolean };
  try {
    outcome = await sendThrough(db, { channel: d.channel, rendered: d.rendered, to: d.recipient, deliveryId: d.id, links: d.links, sender: d.sender });
  } catch (error) {
    outcome = { ok: false, retryable: true, message: error instanceof Error ? error.message : String(error) };
  }
  const now = options.clock ? options.clock() : new Date();
  const attempts = d.row.attempts + 1;
  if (outcome.ok) {
    await recordOutcome(() => db.delivery.updateMany({ where: { id: d.id, status: "sending" }, data: { status: "sent", reason: null, sentAt: now, updatedAt: now, providerMessageId: outcome.providerMessageId?.slice(0, 500) ?? null } }));
    return;
  }
  const retry = outcome.retryable !== false && attempts < MAX_ATTEMPTS;
  if (retry) {
    const at = new Date(now.getTime() + backoffMs(attempts));
    await recordOutcome(() =>
      db.delivery.updateMany({
        where: { id: d.id, status: "sending" },
        data: { status: "queued", nextAttemptAt: at, updatedAt: now, reason: `Attempt ${attempts} failed: ${outcome.message.slice(0, 1_500)} — trying again at ${at.toISOString()}.` },
      }),
    );
    return;
  }
  await recordOutcome(() =>
    db.delivery.updateMany({
      where: { id: d.id, status: "sending" },
      data: { status: "failed", updatedAt: now, reason: `${attempts > 1 ? `Failed after ${attempts} attempts: ` : ""}${outcome.message.slice(0, 1_800)}` },
    }),
  );
  await recordOutcome(() => onFailedForGood(db, d.row, outcome.message, now));
}

/**
 * What the provider answered is known only here: when the database is away (a restart), keep
 * trying to record it for a while rather than leave the send `sending` — which recovery would
 * have to call `unknown`.
 */
async function recordOutcome<T>(write: () => Promise<T>, patienceMs = 120_000): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let pause = 250; ; pause = Math.min(pause * 2, 5_000)) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/** A send node whose message failed for good says what happens: the person goes on (nothing to do), or leaves the journey. */
export async function onFailedForGood(db: Db, d: { journey_id: string; enrollment_id: string | null; node_id: string | null; version: number | null; channel: string }, message: string, now: Date) {
  if (!d.enrollment_id || d.version === null) return;
  await sqlTransaction(db, async (tx) => {
    const defs = await loadVersions(tx, [{ journeyId: d.journey_id, version: d.version! }]);
    const node = defs.get(versionKey(d.journey_id, d.version!))?.nodes.find((n) => n.id === d.node_id);
    if (node?.kind !== "send" || node.onFailure !== "exit") return;
    const [row] = await tx.query<{ step: number }>`SELECT step FROM journey_enrollments WHERE id = ${d.enrollment_id} AND status = 'active' FOR UPDATE`;
    if (!row) return;
    await tx.execute`
      UPDATE journey_enrollments SET status = 'exited', exit_reason = 'send_failed', node_id = NULL, wake_at = NULL, wake = NULL, waiting_for = NULL,
             ended_at = ${now}::timestamptz, updated_at = ${now}::timestamptz, step = step + 1
       WHERE id = ${d.enrollment_id}`;
    const decisions = [{ nodeId: d.node_id, text: `The ${CHANNEL_WORDS[d.channel] ?? d.channel} message could not be sent (${message.slice(0, 300)}): this step says to leave the journey.` }];
    await tx.execute`
      INSERT INTO journey_steps (enrollment_id, step, at, cause, node_id, decisions, effects)
      VALUES (${d.enrollment_id}, ${row.step + 1}::int, ${now}::timestamptz, 'send_failed', ${d.node_id}, ${JSON.stringify(decisions)}::jsonb,
              ${JSON.stringify([{ type: "exit", nodeId: d.node_id, reason: "send_failed" }])}::jsonb)
      ON CONFLICT DO NOTHING`;
  });
}

/**
 * Sends a stopped worker left `sending` (older than `olderThanMs`): a webhook is queued
 * again (same Idempotency-Key: the receiver sees a repeat, not a second message); every
 * other channel becomes `unknown` — it may or may not have gone out, and is never sent twice.
 */
export async function recoverSending(db: Db, options: { olderThanMs?: number; clock?: () => Date } = {}): Promise<{ requeued: number; unknown: number }> {
  const olderThan = options.olderThanMs ?? 120_000;
  return sqlTransaction(db, async (tx) => {
    const now = options.clock ? options.clock() : (await tx.query<{ now: Date }>`SELECT clock_timestamp() AS now`)[0]!.now;
    const cutoff = new Date(now.getTime() - olderThan);
    const resend = [...RESEND_AFTER_CRASH];
    // Claimed but the provider never called (next_attempt_at still set): nothing went out, send it.
    const unsent = await tx.execute`
      UPDATE deliveries SET status = 'queued', next_attempt_at = ${now}::timestamptz, updated_at = ${now}::timestamptz
       WHERE status = 'sending' AND journey_id IS NOT NULL AND updated_at < ${cutoff}::timestamptz AND next_attempt_at IS NOT NULL`;
    const requeued = await tx.execute`
      UPDATE deliveries SET status = 'queued', next_attempt_at = ${now}::timestamptz, updated_at = ${now}::timestamptz,
             reason = 'The worker stopped during the send: sent again with the same Idempotency-Key (the receiver sees a repeat).'
       WHERE status = 'sending' AND journey_id IS NOT NULL AND updated_at < ${cutoff}::timestamptz AND next_attempt_at IS NULL AND channel = ANY(${resend}::text[])`;
    const unknown = await tx.execute`
      UPDATE deliveries SET status = 'unknown', updated_at = ${now}::timestamptz,
             reason = 'The worker stopped while the provider was being called: it may or may not have gone out. Not sent again, so it cannot arrive twice.'
       WHERE status = 'sending' AND journey_id IS NOT NULL AND updated_at < ${cutoff}::timestamptz AND next_attempt_at IS NULL AND NOT (channel = ANY(${resend}::text[]))`;
    return { requeued: requeued + unsent, unknown };
  });
}

/** The dead-letter list's Retry: a failed journey send is queued again, attempts from the start. */
export async function retryDelivery(db: Db, input: { workspaceId: string; id: string }): Promise<boolean> {
  // Due at once on the database's clock (the sender compares with it).
  const n = await db.$executeRaw`
    UPDATE deliveries SET status = 'queued', attempts = 0, next_attempt_at = clock_timestamp(), updated_at = clock_timestamp(), reason = 'Queued again by hand (Retry).'
     WHERE id = ${input.id} AND workspace_id = ${input.workspaceId} AND journey_id IS NOT NULL AND status IN ('failed', 'unknown')`;
  return n > 0;
}
