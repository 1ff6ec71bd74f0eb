import type { Prisma } from "@/server/generated/prisma/client";
import { describeDiff, diffJourneys } from "@/lib/journeys/diff";
import { checkJourney, referencesOf, type JourneyIssue, type JourneyReferences } from "@/lib/journeys/graph";
import { emptyJourney, ZJourneyDefinition, type JourneyDefinition } from "@/lib/journeys/schema";
import type { MessageChannel } from "@/lib/messages/schema";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { isUniqueViolation } from "@/server/db/errors";

/**
 * Journeys as the canvas edits them: a draft autosaved with a revision (a save based on an
 * older revision is refused, never silently overwritten), checked against the workspace's
 * segments and templates, and published into immutable versions.
 */

export const JOURNEY_STATUSES = ["draft", "live", "paused", "archived"] as const;
export type JourneyStatus = (typeof JOURNEY_STATUSES)[number];


async function journeyRow(db: DbTx, workspaceId: string, id: string) {
  const row = await db.journey.findFirst({ where: { id, workspaceId } });
  if (!row) throw new DomainError("NOT_FOUND", "This journey does not exist (it may have been deleted).");
  return row;
}

/** What the journey names, looked up in its workspace: live segments, templates and their channels, webhook channels. */
export async function journeyReferences(db: DbTx, workspaceId: string, def: JourneyDefinition): Promise<JourneyReferences> {
  const wanted = referencesOf(def);
  const webhookIds = def.nodes.flatMap((n) => (n.kind === "webhook" && n.channelId ? [n.channelId] : []));
  const [segments, templates, channels] = await Promise.all([
    wanted.segments.length ? db.segment.findMany({ where: { workspaceId, id: { in: wanted.segments }, archivedAt: null }, select: { id: true } }) : [],
    wanted.templates.length ? db.messageTemplate.findMany({ where: { workspaceId, id: { in: wanted.templates } }, select: { id: true, channel: true } }) : [],
    webhookIds.length ? db.channel.findMany({ where: { workspaceId, id: { in: webhookIds }, kind: "webhook" }, select: { id: true } }) : [],
  ]);
  return {
    segments: new Set(segments.map((s) => s.id)),
    templates: new Map(templates.map((t) => [t.id, t.channel as MessageChannel])),
    webhookChannels: new Set(channels.map((c) => c.id)),
  };
}

/** A new journey starts with its trigger on the canvas. */
function blankDraft(): JourneyDefinition {
  const def = emptyJourney();
  def.nodes.push({ id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "event", filters: [] } });
  return def;
}

function journeyNameTaken(name: string): DomainError {
  return new DomainError("CONFLICT", `A journey named “${name}” already exists. Choose another name.`);
}

/**
 * Creates a journey (audited) inside the caller's transaction, for creates that save more
 * with it (from a template: its segments and messages). A name in use is a CONFLICT — the
 * caller's transaction is then aborted, so nothing it wrote before stays.
 */
export async function insertJourney(tx: DbTx, input: { workspaceId: string; actor: Actor; name: string; draft?: JourneyDefinition; audit?: Record<string, unknown> }) {
  let row;
  try {
    row = await tx.journey.create({
      data: { workspaceId: input.workspaceId, name: input.name, draft: (input.draft ?? blankDraft()) as unknown as Prisma.InputJsonValue, updatedBy: input.actor.userId },
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw journeyNameTaken(input.name);
    throw error;
  }
  await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "journey.created", target: { type: "journey", id: row.id }, diff: { name: { to: row.name }, ...input.audit } });
  return { id: row.id, revision: row.revision };
}

export async function createJourney(db: Db, input: { workspaceId: string; actor: Actor; name: string; draft?: JourneyDefinition }) {
  try {
    return await db.$transaction((tx) => insertJourney(tx, input));
  } catch (error) {
    if (isUniqueViolation(error)) throw journeyNameTaken(input.name);
    throw error;
  }
}

/** "Welcome (copy)", then "Welcome (copy 2)"…: the first free name, within the name limit. */
async function copyName(db: DbTx, workspaceId: string, name: string): Promise<string> {
  const base = name.replace(/ \(copy(?: \d+)?\)$/, "");
  const taken = new Set((await db.journey.findMany({ where: { workspaceId, name: { startsWith: base.slice(0, 100) } }, select: { name: true } })).map((j) => j.name));
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? " (copy)" : ` (copy ${n})`;
    const candidate = `${base.slice(0, 120 - suffix.length).trimEnd()}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * A new draft journey with the same steps and settings as this one's draft (archived ones
 * too: duplicating is how an archived journey comes back). Nothing of its versions or
 * people is copied.
 */
export async function duplicateJourney(db: Db, input: { workspaceId: string; actor: Actor; id: string }) {
  return db.$transaction(async (tx) => {
    const source = await journeyRow(tx, input.workspaceId, input.id);
    const draft = ZJourneyDefinition.parse(source.draft);
    const name = await copyName(tx, input.workspaceId, source.name);
    const created = await insertJourney(tx, { workspaceId: input.workspaceId, actor: input.actor, name, draft, audit: { duplicatedFrom: { to: source.id } } });
    return { ...created, name };
  });
}

export async function getJourney(db: DbTx, input: { workspaceId: string; id: string }) {
  const row = await journeyRow(db, input.workspaceId, input.id);
  const draft = ZJourneyDefinition.parse(row.draft);
  return {
    id: row.id,
    name: row.name,
    status: row.status as JourneyStatus,
    revision: row.revision,
    liveVersion: row.liveVersion,
    draft,
    issues: checkJourney(draft, await journeyReferences(db, input.workspaceId, draft)),
    updatedAt: row.updatedAt,
  };
}

export async function listJourneys(db: DbTx, input: { workspaceId: string; search?: string; includeArchived?: boolean }) {
  const rows = await db.journey.findMany({
    where: {
      workspaceId: input.workspaceId,
      ...(input.includeArchived ? {} : { status: { not: "archived" } }),
      ...(input.search ? { name: { contains: input.search, mode: "insensitive" as const } } : {}),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: 500,
  });
  const editorIds = [...new Set(rows.flatMap((r) => (r.updatedBy ? [r.updatedBy] : [])))];
  const editors = new Map(editorIds.length ? (await db.user.findMany({ where: { id: { in: editorIds } }, select: { id: true, email: true } })).map((u) => [u.id, u.email]) : []);
  return rows.map((r) => {
    const draft = ZJourneyDefinition.safeParse(r.draft);
    const trigger = draft.success ? draft.data.nodes.find((n) => n.kind === "trigger") : undefined;
    return {
      id: r.id,
      name: r.name,
      status: r.status as JourneyStatus,
      liveVersion: r.liveVersion,
      trigger: trigger?.kind === "trigger" ? trigger.trigger : null,
      phase: draft.success ? (draft.data.settings.phase ?? null) : null,
      updatedAt: r.updatedAt,
      /** Who changed it last (their email), when known. */
      updatedBy: r.updatedBy ? (editors.get(r.updatedBy) ?? null) : null,
    };
  });
}

/** Autosave: the draft as the canvas holds it, based on `revision`; a newer save in between is refused. */
export async function saveJourneyDraft(db: Db, input: { workspaceId: string; actor: Actor; id: string; revision: number; name: string; draft: JourneyDefinition }) {
  try {
    return await db.$transaction(async (tx) => {
      const before = await journeyRow(tx, input.workspaceId, input.id);
      if (before.status === "archived") throw new DomainError("CONFLICT", "This journey is archived: restore it (duplicate it) to change it.");
      const updated = await tx.journey.updateMany({
        where: { id: before.id, revision: input.revision },
        data: { name: input.name, draft: input.draft as unknown as Prisma.InputJsonValue, revision: { increment: 1 }, updatedBy: input.actor.userId, updatedAt: new Date() },
      });
      if (updated.count === 0) {
        throw new DomainError("CONFLICT", `Someone else saved this journey meanwhile (revision ${before.revision}; yours was based on ${input.revision}). Reload to see their changes; yours are not saved.`);
      }
      return { revision: input.revision + 1, issues: checkJourney(input.draft, await journeyReferences(tx, input.workspaceId, input.draft)) };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("CONFLICT", `A journey named “${input.name}” already exists. Choose another name.`);
    throw error;
  }
}

export class JourneyInvalid extends DomainError {
  constructor(readonly issues: JourneyIssue[]) {
    super("BAD_REQUEST", `The journey cannot be published yet: ${issues.length === 1 ? "1 problem" : `${issues.length} problems`} — ${issues.slice(0, 3).map((i) => i.message).join(" ")}${issues.length > 3 ? " …" : ""}`);
  }
}

/**
 * Publishes the draft as the next version: checked first (nothing changes while any problem
 * remains), frozen, and made the version people enter. `policy` says what happens to people
 * inside the previous version: they finish on it, or move at their next step.
 */
export async function publishJourney(db: Db, input: { workspaceId: string; actor: Actor; id: string; revision: number; policy?: "finish" | "migrate" }) {
  return db.$transaction(async (tx) => {
    const row = await journeyRow(tx, input.workspaceId, input.id);
    await tx.$executeRaw`SELECT 1 FROM journeys WHERE id = ${row.id} FOR UPDATE`;
    if (row.revision !== input.revision) throw new DomainError("CONFLICT", "The journey changed since you opened it: reload before publishing.");
    if (row.status === "archived") throw new DomainError("CONFLICT", "An archived journey cannot be published.");
    const def = ZJourneyDefinition.parse(row.draft);
    const issues = checkJourney(def, await journeyReferences(tx, input.workspaceId, def));
    if (issues.length > 0) throw new JourneyInvalid(issues);
    const latest = await tx.journeyVersion.findFirst({ where: { journeyId: row.id }, orderBy: { version: "desc" }, select: { version: true } });
    const next = (latest?.version ?? 0) + 1;
    await tx.journeyVersion.create({ data: { journeyId: row.id, version: next, definition: def as unknown as Prisma.InputJsonValue, policy: input.policy ?? "finish", publishedBy: input.actor.userId } });
    // On the database's clock: the runtime compares it with when events were stored (a journey does not reach back).
    await tx.$executeRaw`UPDATE journey_versions SET published_at = now() WHERE journey_id = ${row.id} AND version = ${next}::int`;
    // The cap on people inside counts from the truth whenever it is (re)published.
    if (def.settings.maxConcurrent !== undefined) {
      await tx.$executeRaw`
        INSERT INTO journey_capacity (journey_id, active)
        SELECT ${row.id}, count(*)::int FROM journey_enrollments WHERE journey_id = ${row.id} AND status = 'active'
        ON CONFLICT (journey_id) DO UPDATE SET active = EXCLUDED.active`;
    }
    await tx.journey.update({ where: { id: row.id }, data: { liveVersion: next, status: row.status === "paused" ? "paused" : "live", updatedBy: input.actor.userId } });
    await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "journey.published", target: { type: "journey", id: row.id }, diff: { version: { from: latest?.version ?? null, to: next }, ...(latest ? { policy: { to: input.policy ?? "finish" } } : {}) } });
    return { version: next };
  });
}

const TRANSITIONS: Record<"pause" | "resume" | "archive", { from: JourneyStatus[]; to: JourneyStatus }> = {
  pause: { from: ["live"], to: "paused" },
  resume: { from: ["paused"], to: "live" },
  archive: { from: ["draft", "live", "paused"], to: "archived" },
};

/** Pause (nobody moves, nothing is sent), resume, or archive (people finish, or leave now). */
export async function setJourneyStatus(db: Db, input: { workspaceId: string; actor: Actor; id: string; action: "pause" | "resume" | "archive"; exitEveryone?: boolean }) {
  return db.$transaction(async (tx) => {
    const row = await journeyRow(tx, input.workspaceId, input.id);
    const rule = TRANSITIONS[input.action];
    if (!rule.from.includes(row.status as JourneyStatus)) throw new DomainError("CONFLICT", `A ${row.status} journey cannot be ${input.action === "pause" ? "paused" : input.action === "resume" ? "resumed" : "archived"}.`);
    await tx.journey.update({ where: { id: row.id }, data: { status: rule.to, updatedBy: input.actor.userId } });
    // Archive with "exit everyone": every active enrollment ends now, with a step in its trace; their queued messages are not sent (server/journeys/runtime/sender.ts).
    if (input.action === "archive" && input.exitEveryone) {
      const decisions = JSON.stringify([{ nodeId: null, text: "The journey was archived with “exit everyone”: they left it." }]);
      await tx.$executeRaw`
        WITH ended AS (
          UPDATE journey_enrollments SET status = 'exited', exit_reason = 'archived', node_id = NULL, wake_at = NULL, wake = NULL, waiting_for = NULL,
                 ended_at = now(), updated_at = now(), step = step + 1
           WHERE journey_id = ${row.id} AND status = 'active'
          RETURNING id, step, ${"archived"}::text AS reason)
        INSERT INTO journey_steps (enrollment_id, step, at, cause, node_id, decisions, effects)
        SELECT id, step, now(), 'archive', NULL, ${decisions}::jsonb, jsonb_build_array(jsonb_build_object('type', 'exit', 'nodeId', NULL, 'reason', reason)) FROM ended
        ON CONFLICT DO NOTHING`;
    }
    await recordAudit(tx, {
      workspaceId: input.workspaceId,
      actor: input.actor,
      action: `journey.${input.action === "pause" ? "paused" : input.action === "resume" ? "resumed" : "archived"}`,
      target: { type: "journey", id: row.id },
      diff: { status: { from: row.status, to: rule.to }, ...(input.action === "archive" ? { people: { to: input.exitEveryone ? "exit now" : "finish" } } : {}) },
    });
    return { status: rule.to };
    // "Exit everyone" ends every enrollment of a big journey in this transaction: give it time.
  }, { timeout: 300_000, maxWait: 10_000 });
}

/** Who published what and when, each version with what changed since the one before. */
export async function journeyHistory(db: DbTx, input: { workspaceId: string; id: string }) {
  const row = await journeyRow(db, input.workspaceId, input.id);
  const versions = await db.journeyVersion.findMany({ where: { journeyId: row.id }, orderBy: { version: "asc" } });
  const users = await db.user.findMany({ where: { id: { in: versions.flatMap((v) => (v.publishedBy ? [v.publishedBy] : [])) } }, select: { id: true, email: true } });
  const email = new Map(users.map((u) => [u.id, u.email]));
  let previous: JourneyDefinition | null = null;
  const out = [];
  for (const v of versions) {
    const def = ZJourneyDefinition.parse(v.definition);
    out.push({ version: v.version, publishedAt: v.publishedAt, publishedBy: v.publishedBy ? (email.get(v.publishedBy) ?? null) : null, policy: v.policy, changes: previous ? describeDiff(diffJourneys(previous, def)) : ["First version"] });
    previous = def;
  }
  return out.reverse();
}
