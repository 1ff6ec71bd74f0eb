import { capWindowStart, capsFor, quietUntil, ZFrequencyCaps, type FrequencyCap } from "@/lib/journeys/caps";
import { ZJourneyDefinition } from "@/lib/journeys/schema";
import { isTimeZone } from "@/lib/journeys/time";
import { maskToken } from "@/lib/channels/devices";
import { renderTemplate, type RenderedContent } from "@/lib/messages/render";
import type { TemplateContent } from "@/lib/messages/schema";
import { eventVariables, personVariables } from "@/lib/messages/variables";
import { channelSecrets, configOf } from "@/server/channels/service";
import type { Secrets } from "@/server/channels/dispatch";
import { isSubscribed } from "@/lib/consent/schema";
import { consentForSend } from "@/server/consent/service";
import { sql, type Db, type DbTx } from "@/server/db/client";
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
  /** The worker's provider calls (runner.ts): sendDue returns once its batch is decided, its calls go on in the pipeline. Without it, sendDue waits for its batch's calls. */
  pipeline?: SendPipeline;
}

/**
 * A worker's provider calls, across batches: at most CONCURRENCY at once, so the sender
 * decides the next batch while the calls of the one before are under way — a batch does not
 * wait for its slowest call, and sends queued meanwhile do not wait for the whole batch.
 * A claimed send that waited here longer than `staleMs` (slow providers ahead of it) is not
 * called but queued again, long before recovery would take it for a stopped worker's.
 */
export interface SendPipeline {
  /** Resolves when fewer calls wait than run at once: time to decide the next batch. */
  room(): Promise<void>;
  /** Resolves when every call handed over so far has finished. */
  idle(): Promise<void>;
  /** Stops: calls not started are handed back (their sends queued again at once); resolves when the running ones have finished. */
  close(): Promise<void>;
  /** Internal: the grouped writes, and a call for a claimed delivery. */
  readonly writes: ReturnType<typeof providerWrites>;
  run(deliveryId: string, call: () => Promise<void>): void;
}

export function sendPipeline(
  db: Db,
  options: { concurrency?: number; staleMs?: number; /** Queues claimed sends again (tests give their own). */ requeue?: (ids: string[]) => Promise<unknown> } = {},
): SendPipeline {
  const concurrency = options.concurrency ?? CONCURRENCY;
  const staleMs = options.staleMs ?? 60_000;
  const writes = providerWrites(db);
  const requeue = options.requeue ?? ((ids: string[]) => Promise.all(ids.map((id) => writes.requeue(id))));
  const queue: { id: string; call: () => Promise<void>; at: number }[] = [];
  let running = 0;
  let closed = false;
  let waiters: (() => void)[] = [];
  const settle = () => {
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };
  const log = (error: unknown) => console.error("journey runtime (sends):", error instanceof Error ? error.message : error);
  const pump = () => {
    while (running < concurrency && queue.length > 0) {
      const item = queue.shift()!;
      running++;
      const work = Date.now() - item.at > staleMs ? requeue([item.id]) : item.call();
      void work.catch(log).finally(() => {
        running--;
        pump();
        settle();
      });
    }
  };
  const until = (ready: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (ready() ? resolve() : waiters.push(check));
      check();
    });
  return {
    writes,
    run(deliveryId, call) {
      queue.push({ id: deliveryId, call, at: Date.now() });
      if (closed) return void this.close();
      pump();
    },
    room: () => until(() => queue.length < concurrency),
    idle: () => until(() => queue.length === 0 && running === 0),
    async close() {
      closed = true;
      const waiting = queue.splice(0).map((q) => q.id);
      settle();
      if (waiting.length > 0) await requeue(waiting).catch(log);
      await until(() => running === 0);
    },
  };
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

/** What a decided send stores with it once it got as far as being rendered: its purpose, template version, channel, recipient (as shown) and content. */
interface Prepared {
  purpose: string;
  templateVersionId: string | null;
  channelId: string;
  recipient: string;
  rendered: RenderedContent;
}

type Decided =
  | { id: string; outcome: "final"; status: "suppressed" | "failed" | "sent"; reason: string | null; prepared?: Prepared }
  | { id: string; outcome: "held"; until: Date; reason: string }
  | { id: string; outcome: "send"; channel: ChannelRow; recipient: string; rendered: RenderedContent; links: ReturnType<typeof linksOf> | null; sender?: number; row: DueDelivery; prepared: Prepared };

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
  // Each channel's secrets are read once for the batch.
  const secrets = new Map<string, Promise<Secrets>>();
  const secretsOf = (c: ChannelRow) => {
    let read = secrets.get(c.id);
    if (!read) {
      read = channelSecrets(db, c.workspaceId, c.id, configOf(c).kind);
      // Read again by the batch's later calls, should this read fail.
      read.catch(() => secrets.delete(c.id));
      secrets.set(c.id, read);
    }
    return read;
  };
  // The worker's pipeline goes on with the calls; called alone (tests, one batch), the batch's own, awaited.
  const pipeline = options.pipeline ?? sendPipeline(db);
  for (const d of toSend) pipeline.run(d.id, () => callProvider(db, d, { ...options, clock }, pipeline.writes, secretsOf(d.channel)));
  if (!options.pipeline) await pipeline.idle();
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
    tx.profile.findMany({ where: { id: { in: profileIds } }, select: { id: true, workspaceId: true, userId: true, email: true, phone: true, timezone: true, locale: true, country: true, traits: true, firstSeenAt: true, lastSeenAt: true } }),
    tx.channel.findMany({ where: { workspaceId: { in: workspaceIds } }, orderBy: { createdAt: "asc" }, select: { id: true, workspaceId: true, kind: true, settings: true } }),
    due.some((d) => d.channel === "push")
      ? tx.device.findMany({ where: { profileId: { in: profileIds } }, orderBy: { lastSeenAt: "desc" }, select: { profileId: true, kind: true, token: true, keys: true } })
      : [],
  ]);
  const workspaceOf = new Map(workspaces.map((w) => [w.id, { timeZone: isTimeZone(w.defaultTimezone) ? w.defaultTimezone : "UTC", caps: ZFrequencyCaps.catch([]).parse(w.frequencyCaps) }]));
  const profileOf = new Map(profiles.map((p) => [p.id, p]));
  const defs = await versionsOf(tx, due);

  // Frequency caps are counted under a lock per person (sorted: no deadlocks), so two workers never both take the last place.
  const capped = [...new Set(due.filter((d) => (workspaceOf.get(d.workspace_id)?.caps.length ?? 0) > 0).map((d) => d.profile_id))].sort();
  if (capped.length > 0) {
    await tx.$executeRaw`
      SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${capped.map((id) => `junction:caps:${id}`)}::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i`;
  }

  // Of one person's sends, the higher priority decides first (under a cap it may take the last place).
  const ordered = [...due].sort((a, b) => a.profile_id.localeCompare(b.profile_id) || b.priority - a.priority);

  // What every decision reads, read once for the batch: templates, consent, what the caps count so far.
  const templates = new Map<string, { ok: true; template: Template } | { ok: false; error: unknown }>();
  for (const d of ordered) {
    if (!d.template_id || templates.has(d.template_id)) continue;
    try {
      templates.set(d.template_id, { ok: true, template: await guarded(tx, () => latestTemplate(tx, d.workspace_id, d.template_id!)) });
    } catch (error) {
      if (isDatabaseUnavailable(error) || isRetryable(error)) throw error;
      templates.set(d.template_id, { ok: false, error });
    }
  }
  const consent = await consentOf(tx, { workspaceIds, profileIds, profileOf });
  const counts = await capCounts(tx, ordered, { now, workspaceOf, profileOf, templates });
  /** Sends decided earlier in this batch that the caps count (not written yet): per person. */
  const taken = new Map<string, { channel: string; purpose: string }[]>();

  const out: Decided[] = [];
  for (const d of ordered) {
    // A send that cannot even be prepared fails alone, with the reason, and never holds up the batch
    // (what it writes is in a savepoint: `guarded`).
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
          const t = templates.get(id);
          if (t && !t.ok) throw t.error;
          return t?.template ?? null;
        },
        consent: (groupId) => consent(d, groupId),
        counted: (cap, since) =>
          (counts.get(capKey(d.id, cap, since)) ?? 0) +
          (taken.get(d.profile_id) ?? []).filter((t) => (cap.channel === "any" || t.channel === cap.channel) && (cap.purpose === "any" || t.purpose === cap.purpose)).length,
      });
    } catch (error) {
      if (isDatabaseUnavailable(error) || isRetryable(error)) throw error;
      decision = { id: d.id, outcome: "final", status: "failed", reason: `The message could not be prepared: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2_000) };
    }
    if (decision.outcome === "send" || (decision.outcome === "final" && decision.status === "sent")) {
      taken.set(d.profile_id, [...(taken.get(d.profile_id) ?? []), { channel: d.channel, purpose: decision.prepared?.purpose ?? "transactional" }]);
    }
    out.push(decision);
  }
  await recordDecisions(tx, out, now);
  return { decided: out, due, clock };
}

/** `fn`'s statements in a savepoint: when it fails, the transaction is as it was before, and the error is thrown. */
async function guarded<T>(tx: DbTx, fn: () => Promise<T>): Promise<T> {
  await tx.$executeRawUnsafe("SAVEPOINT send_decision");
  try {
    const result = await fn();
    await tx.$executeRawUnsafe("RELEASE SAVEPOINT send_decision");
    return result;
  } catch (error) {
    await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT send_decision");
    throw error;
  }
}

/**
 * Consent for the batch's sends: the groups and the people's answers read once. Where they
 * plainly allow the send (consentForSend's rule: the group exists with a known mode, the
 * person exists, and their answer or the group's default says yes), it goes on; anything
 * else is asked of consentForSend itself, for its answer and its reason.
 */
async function consentOf(tx: DbTx, input: { workspaceIds: string[]; profileIds: string[]; profileOf: Map<string, { workspaceId: string }> }) {
  const [groups, states] = await Promise.all([
    tx.subscriptionGroup.findMany({ where: { workspaceId: { in: input.workspaceIds } }, select: { id: true, workspaceId: true, mode: true } }),
    tx.subscriptionState.findMany({ where: { profileId: { in: input.profileIds } }, select: { profileId: true, groupId: true, subscribed: true } }),
  ]);
  const groupOf = new Map(groups.map((g) => [g.id, g]));
  const answerOf = new Map(states.map((s) => [`${s.profileId}\u0000${s.groupId}`, s.subscribed]));
  return async (d: DueDelivery, groupId: string | null): Promise<ConsentDecision> => {
    if (groupId === null) return { allowed: true };
    const group = groupOf.get(groupId);
    const answer = answerOf.get(`${d.profile_id}\u0000${groupId}`);
    const plain = group && group.workspaceId === d.workspace_id && (group.mode === "opt_in" || group.mode === "opt_out") && input.profileOf.get(d.profile_id)?.workspaceId === d.workspace_id;
    if (plain && answer !== false && isSubscribed(group, answer)) return { allowed: true };
    return guarded(tx, () => consentForSend(tx, { workspaceId: d.workspace_id, profileId: d.profile_id, groupId }));
  };
}

type ConsentDecision = Awaited<ReturnType<typeof consentForSend>>;
type Template = Awaited<ReturnType<typeof latestTemplate>>;

const capKey = (id: string, cap: FrequencyCap, since: Date) => `${id}\u0000${cap.channel}\u0000${cap.purpose}\u0000${since.getTime()}`;

/**
 * What each send's frequency caps count so far (sends of the person in the window, this one
 * left out): one statement for the batch, under the people's locks. Sends decided in this
 * batch are not written yet and are added by the caller.
 */
async function capCounts(
  tx: DbTx,
  due: DueDelivery[],
  ctx: {
    now: Date;
    workspaceOf: Map<string, { timeZone: string; caps: FrequencyCap[] }>;
    profileOf: Map<string, { timezone: string | null }>;
    templates: Map<string, { ok: true; template: Template } | { ok: false; error: unknown }>;
  },
): Promise<Map<string, number>> {
  const asks: { key: string; profileId: string; id: string; channel: string; purpose: string; since: string }[] = [];
  for (const d of due) {
    const workspace = ctx.workspaceOf.get(d.workspace_id);
    const profile = ctx.profileOf.get(d.profile_id);
    if (!workspace || workspace.caps.length === 0 || !profile) continue;
    const t = d.template_id ? ctx.templates.get(d.template_id) : undefined;
    const purpose = (t?.ok ? t.template?.purpose : undefined) ?? "transactional";
    const zone = isTimeZone(profile.timezone) ? profile.timezone : workspace.timeZone;
    for (const cap of capsFor(workspace.caps, d.channel, purpose)) {
      const since = capWindowStart(ctx.now, cap.days, zone);
      asks.push({ key: capKey(d.id, cap, since), profileId: d.profile_id, id: d.id, channel: cap.channel, purpose: cap.purpose, since: since.toISOString() });
    }
  }
  if (asks.length === 0) return new Map();
  const rows = await tx.$queryRaw<{ i: bigint; n: number }[]>`
    SELECT q.i, (SELECT count(*) FROM deliveries x
                  WHERE x.profile_id = q.profile_id AND x.id <> q.id AND x.test = false AND x.status IN ('sending', 'sent', 'delivered', 'unknown')
                    AND (q.channel = 'any' OR x.channel = q.channel) AND (q.purpose = 'any' OR x.purpose = q.purpose)
                    AND COALESCE(x.sent_at, x.updated_at) >= q.since)::int AS n
      FROM unnest(${asks.map((a) => a.profileId)}::text[], ${asks.map((a) => a.id)}::text[], ${asks.map((a) => a.channel)}::text[],
                  ${asks.map((a) => a.purpose)}::text[], ${asks.map((a) => a.since)}::timestamptz[]) WITH ORDINALITY AS q(profile_id, id, channel, purpose, since, i)`;
  return new Map(rows.map((r) => [asks[Number(r.i) - 1]!.key, r.n]));
}

/** The journey versions of these sends (parsed once per process). */
async function versionsOf(tx: DbTx, due: DueDelivery[]) {
  const wanted = [...new Map(due.flatMap((d) => (d.version === null ? [] : [[versionKey(d.journey_id, d.version), { journeyId: d.journey_id, version: d.version }] as const]))).values()];
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
  /** Consent to the template's subscription group, read now. */
  consent: (groupId: string | null) => Promise<ConsentDecision>;
  /** The person's sends a cap counts since `since` (this one left out). */
  counted: (cap: FrequencyCap, since: Date) => number;
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
  const consent = await ctx.consent(groupId);
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
    if (ctx.counted(cap, since) >= cap.max) {
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
  const prepared: Prepared = { purpose, templateVersionId: template?.id ?? null, channelId: channel.id, recipient: shown ?? recipient, rendered };

  if (kind === "inapp") {
    const retentionDays = (configOf(channel).settings as { retentionDays?: number }).retentionDays ?? 90;
    await guarded(tx, () =>
      storeInAppMessage(tx, {
        workspaceId: d.workspace_id,
        profileId: profile.id,
        deliveryId: d.id,
        content: { title: rendered.title ?? "", body: rendered.body ?? "", buttonLabel: rendered.buttonLabel, buttonUrl: rendered.buttonUrl },
        expiresAt: new Date(ctx.now.getTime() + retentionDays * 86_400_000),
        now: ctx.now,
      }),
    );
    return { id: d.id, outcome: "final", status: "sent", reason: null, prepared };
  }
  const node = ctx.def?.nodes.find((n) => n.id === d.node_id);
  const sender = node?.kind === "send" ? node.sender : undefined;
  return { id: d.id, outcome: "send", channel, recipient, rendered, links, sender, row: d, prepared };
}

/**
 * The decisions, stored in one statement with the sender's clock (the database's, or a
 * test's: caps count by these times). A send goes `sending` with next_attempt_at still set:
 * claimed, the provider not called yet (see callProvider). Should the statement fail for a
 * row's sake (a rendered value Postgres refuses), the rows are written one by one and such
 * a send fails alone, with the reason — it is not sent.
 */
async function recordDecisions(tx: DbTx, decided: Decided[], now: Date) {
  if (decided.length === 0) return;
  try {
    await guarded(tx, () => writeDecisions(tx, decided, now));
    return;
  } catch (error) {
    if (isDatabaseUnavailable(error) || isRetryable(error)) throw error;
  }
  for (const [i, d] of decided.entries()) {
    try {
      await guarded(tx, () => writeDecisions(tx, [d], now));
    } catch (error) {
      if (isDatabaseUnavailable(error) || isRetryable(error)) throw error;
      const failed: Decided = { id: d.id, outcome: "final", status: "failed", reason: `The message could not be prepared: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2_000) };
      await writeDecisions(tx, [failed], now);
      decided[i] = failed;
    }
  }
}

async function writeDecisions(tx: DbTx, decided: Decided[], now: Date) {
  const rows = decided.map((d) => {
    const prepared = d.outcome === "held" ? undefined : d.prepared;
    return {
      id: d.id,
      status: d.outcome === "final" ? d.status : d.outcome === "send" ? "sending" : null,
      setReason: d.outcome !== "send",
      reason: d.outcome === "send" ? null : d.reason,
      sentAt: d.outcome === "final" && d.status === "sent" ? now.toISOString() : null,
      held: d.outcome === "held",
      nextAttemptAt: d.outcome === "held" ? d.until.toISOString() : null,
      prepared: prepared !== undefined,
      purpose: prepared?.purpose ?? null,
      templateVersionId: prepared?.templateVersionId ?? null,
      channelId: prepared?.channelId ?? null,
      recipient: prepared?.recipient ?? null,
      rendered: prepared ? JSON.stringify(prepared.rendered) : null,
    };
  });
  await tx.$executeRaw`
    UPDATE deliveries d
       SET status = COALESCE(u.status, d.status),
           reason = CASE WHEN u.set_reason THEN u.reason ELSE d.reason END,
           sent_at = COALESCE(u.sent_at, d.sent_at),
           next_attempt_at = CASE WHEN u.held THEN u.next_attempt_at ELSE d.next_attempt_at END,
           purpose = CASE WHEN u.prepared THEN u.purpose ELSE d.purpose END,
           template_version_id = CASE WHEN u.prepared THEN u.template_version_id ELSE d.template_version_id END,
           channel_id = CASE WHEN u.prepared THEN u.channel_id ELSE d.channel_id END,
           recipient = CASE WHEN u.prepared THEN u.recipient ELSE d.recipient END,
           rendered = CASE WHEN u.prepared THEN u.rendered ELSE d.rendered END,
           updated_at = ${now.toISOString()}::timestamptz
      FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.status)}::text[], ${rows.map((r) => r.setReason)}::bool[], ${rows.map((r) => r.reason)}::text[],
                  ${rows.map((r) => r.sentAt)}::timestamptz[], ${rows.map((r) => r.held)}::bool[], ${rows.map((r) => r.nextAttemptAt)}::timestamptz[],
                  ${rows.map((r) => r.prepared)}::bool[], ${rows.map((r) => r.purpose)}::text[], ${rows.map((r) => r.templateVersionId)}::text[],
                  ${rows.map((r) => r.channelId)}::text[], ${rows.map((r) => r.recipient)}::text[], ${rows.map((r) => r.rendered)}::jsonb[])
           AS u(id, status, set_reason, reason, sent_at, held, next_attempt_at, prepared, purpose, template_version_id, channel_id, recipient, rendered)
     WHERE d.id = u.id`;
}

/**
 * The two writes every provider call makes — "calling now" before it, "sent" after it — (and
 * a claimed send handed back to the queue) for
 * the calls in flight together, as one statement each: a call waits for the statement that
 * carries its row (the first call's statement goes at once; calls that come meanwhile go
 * together in the next). Planned at each call (`raw`, not a named prepared statement): a
 * generic plan made while `deliveries` was small scans all of it, and every call reads more.
 */
function providerWrites(db: Db) {
  return {
    calling: grouped(async (ids: string[]) => {
      const marked = new Set(
        (
          await sql(db).raw<{ id: string }>({
            sql: `UPDATE deliveries SET next_attempt_at = NULL, attempts = attempts + 1, updated_at = clock_timestamp()
                   WHERE id = ANY($1::text[]) AND status = 'sending' AND next_attempt_at IS NOT NULL
                  RETURNING id`,
            params: [ids],
          })
        ).map((r) => r.id),
      );
      return ids.map((id) => marked.has(id));
    }),
    /** Claimed, never called: back to the queue, due as before. */
    requeue: grouped(async (ids: string[]) => {
      await sql(db).raw({
        sql: `UPDATE deliveries SET status = 'queued', updated_at = clock_timestamp()
               WHERE id = ANY($1::text[]) AND status = 'sending' AND next_attempt_at IS NOT NULL`,
        params: [ids],
      });
      return ids.map(() => undefined);
    }),
    sent: grouped(async (rows: { id: string; at: Date; providerMessageId: string | null }[]) => {
      await sql(db).raw({
        sql: `UPDATE deliveries d SET status = 'sent', reason = NULL, sent_at = u.at, updated_at = u.at, provider_message_id = u.provider_message_id
                FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(id, at, provider_message_id)
               WHERE d.id = u.id AND d.status = 'sending'`,
        params: [rows.map((r) => r.id), rows.map((r) => r.at.toISOString()), rows.map((r) => r.providerMessageId)],
      });
      return rows.map(() => undefined);
    }),
  };
}

/** Calls of `run` for items that come while one is running, made together in the next. */
function grouped<T, R>(run: (items: T[]) => Promise<R[]>): (item: T) => Promise<R> {
  let waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      const now = waiting;
      waiting = [];
      try {
        const results = await run(now.map((w) => w.item));
        now.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of now) w.reject(error);
      }
    }
    running = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!running) void drain();
    });
}

async function callProvider(db: Db, d: Extract<Decided, { outcome: "send" }>, options: SendOptions, writes: ReturnType<typeof providerWrites>, secrets: Promise<Secrets>) {
  // The channel's secrets could not be read for the database's sake: the send waits in the queue, no attempt spent.
  const unreadable = await secrets.then(
    () => null,
    (error: unknown) => error,
  );
  if (unreadable && (isDatabaseUnavailable(unreadable) || isRetryable(unreadable))) {
    await recordOutcome(() => writes.requeue(d.id));
    return;
  }
  // The moment of no return: from here the provider may have the message. Clearing
  // next_attempt_at says so — recovery sends a claimed row that was never called again, and
  // decides a called one by its channel's policy (recoverSending).
  if (!(await writes.calling(d.id))) return;
  let outcome: { ok: boolean; message: string; providerMessageId?: string | null; retryable?: boolean };
  try {
    outcome = await sendThrough(db, { channel: d.channel, rendered: d.rendered, to: d.recipient, deliveryId: d.id, links: d.links, sender: d.sender, secrets });
  } catch (error) {
    outcome = { ok: false, retryable: true, message: error instanceof Error ? error.message : String(error) };
  }
  const now = options.clock ? options.clock() : new Date();
  const attempts = d.row.attempts + 1;
  if (outcome.ok) {
    await recordOutcome(() => writes.sent({ id: d.id, at: now, providerMessageId: outcome.providerMessageId?.slice(0, 500) ?? null }));
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
