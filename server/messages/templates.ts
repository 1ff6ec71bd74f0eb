import type { Prisma } from "@/server/generated/prisma/client";
import { partialsUsed, sourcesOf } from "@/lib/messages/render";
import { starterContent, ZTemplateContent, type MessageChannel, type TemplateContent } from "@/lib/messages/schema";
import { recordAudit, type Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { isUniqueViolation } from "@/server/db/errors";
import { canonicalJson } from "@/lib/json";

/**
 * Message templates: a marketer's messages per channel. Every save that changes anything
 * freezes a new version (content plus the partials it uses, as they are then), so what a
 * journey was published with never changes under it. Partials are shared pieces
 * (`{% render 'footer' %}`) edited in one place.
 */


function nameTaken(name: string): DomainError {
  return new DomainError("CONFLICT", `A template named “${name}” already exists. Choose another name.`);
}

export async function listTemplates(db: DbTx, input: { workspaceId: string; channel?: MessageChannel; search?: string }) {
  const rows = await db.messageTemplate.findMany({
    where: {
      workspaceId: input.workspaceId,
      ...(input.channel ? { channel: input.channel } : {}),
      ...(input.search ? { name: { contains: input.search, mode: "insensitive" as const } } : {}),
    },
    orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
    take: 500,
    select: { id: true, name: true, channel: true, updatedAt: true, updatedBy: true, versions: { orderBy: { version: "desc" }, take: 1, select: { version: true } } },
  });
  const editors = await userEmails(db, rows.map((r) => r.updatedBy));
  return rows.map(({ versions, updatedBy, ...r }) => ({
    ...r,
    channel: r.channel as MessageChannel,
    version: versions[0]?.version ?? 0,
    updatedBy: updatedBy ? (editors.get(updatedBy) ?? null) : null,
  }));
}

async function userEmails(db: DbTx, ids: (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const users = await db.user.findMany({ where: { id: { in: wanted } }, select: { id: true, email: true } });
  return new Map(users.map((u) => [u.id, u.email]));
}

async function templateRow(db: DbTx, workspaceId: string, id: string) {
  const row = await db.messageTemplate.findFirst({ where: { id, workspaceId } });
  if (!row) throw new DomainError("NOT_FOUND", "This template does not exist (it may have been deleted).");
  return row;
}

export async function getTemplate(db: DbTx, input: { workspaceId: string; id: string }) {
  const row = await templateRow(db, input.workspaceId, input.id);
  const versions = await db.messageTemplateVersion.findMany({
    where: { templateId: row.id },
    orderBy: { version: "desc" },
    take: 100,
    select: { id: true, version: true, createdAt: true, createdBy: true, content: true },
  });
  const editors = await userEmails(db, [row.updatedBy, ...versions.map((v) => v.createdBy)]);
  return {
    id: row.id,
    name: row.name,
    channel: row.channel as MessageChannel,
    content: ZTemplateContent.parse(row.draft),
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy ? (editors.get(row.updatedBy) ?? null) : null,
    versions: versions.map((v) => ({
      id: v.id,
      version: v.version,
      createdAt: v.createdAt,
      createdBy: v.createdBy ? (editors.get(v.createdBy) ?? null) : null,
      content: ZTemplateContent.parse(v.content),
    })),
  };
}

/** The workspace's partials as a name → body map (what rendering takes). */
export async function partialMap(db: DbTx, workspaceId: string): Promise<Record<string, string>> {
  const rows = await db.messagePartial.findMany({ where: { workspaceId }, select: { name: true, body: true } });
  return Object.fromEntries(rows.map((r) => [r.name, r.body]));
}

/** A message's subscription group must be one of this workspace's, for its channel. */
async function checkGroup(db: DbTx, workspaceId: string, content: TemplateContent) {
  if (!content.subscriptionGroupId) return;
  const group = await db.subscriptionGroup.findFirst({ where: { id: content.subscriptionGroupId, workspaceId }, select: { channel: true, name: true } });
  if (!group) throw new DomainError("BAD_REQUEST", "Subscription group: this group does not exist (it may have been deleted). Choose another, or none.");
  if (group.channel !== content.channel) throw new DomainError("BAD_REQUEST", `Subscription group: “${group.name}” is for ${group.channel}, not ${content.channel}.`);
}

/** Freezes `content` as the template's next version unless the latest one already says the same. */
async function freezeVersion(tx: DbTx, input: { workspaceId: string; templateId: string; content: TemplateContent; actor: Actor }) {
  const partials = partialsUsed(sourcesOf(input.content), await partialMap(tx, input.workspaceId));
  const latest = await tx.messageTemplateVersion.findFirst({ where: { templateId: input.templateId }, orderBy: { version: "desc" } });
  if (latest && canonicalJson(latest.content) === canonicalJson(input.content) && canonicalJson(latest.partials) === canonicalJson(partials)) {
    return { version: latest, created: false };
  }
  const version = await tx.messageTemplateVersion.create({
    data: {
      templateId: input.templateId,
      version: (latest?.version ?? 0) + 1,
      content: input.content as unknown as Prisma.InputJsonValue,
      partials: partials as Prisma.InputJsonValue,
      createdBy: input.actor.userId,
    },
  });
  return { version, created: true };
}

/**
 * Creates a template with its first version (audited) inside the caller's transaction, for
 * creates that save more with it (a journey template's messages). A name in use fails as a
 * unique violation (aborting the transaction); each caller says what that means.
 */
export async function insertTemplate(tx: DbTx, input: { workspaceId: string; actor: Actor; name: string; channel: MessageChannel; content: TemplateContent }) {
  const { content } = input;
  if (content.channel !== input.channel) throw new DomainError("BAD_REQUEST", "The content is for another channel.");
  await checkGroup(tx, input.workspaceId, content);
  const row = await tx.messageTemplate.create({
    data: { workspaceId: input.workspaceId, name: input.name, channel: input.channel, draft: content as unknown as Prisma.InputJsonValue, updatedBy: input.actor.userId },
  });
  await freezeVersion(tx, { workspaceId: input.workspaceId, templateId: row.id, content, actor: input.actor });
  await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "template.created", target: { type: "template", id: row.id }, diff: { name: { to: row.name }, channel: { to: row.channel } } });
  return { id: row.id };
}

export async function createTemplate(db: Db, input: { workspaceId: string; actor: Actor; name: string; channel: MessageChannel; content?: TemplateContent }) {
  const content = input.content ?? starterContent(input.channel, Object.keys(await partialMap(db, input.workspaceId)));
  try {
    return await db.$transaction((tx) => insertTemplate(tx, { ...input, content }));
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

/** Saves the editor's content (and name); a change becomes the next version. */
export async function saveTemplate(db: Db, input: { workspaceId: string; actor: Actor; id: string; name: string; content: TemplateContent }) {
  try {
    return await db.$transaction(async (tx) => {
      const before = await templateRow(tx, input.workspaceId, input.id);
      if (input.content.channel !== before.channel) throw new DomainError("BAD_REQUEST", "A template's channel cannot change; create a new template instead.");
      await checkGroup(tx, input.workspaceId, input.content);
      // One saver at a time per template: versions are numbered in order.
      await tx.$executeRaw`SELECT 1 FROM message_templates WHERE id = ${before.id} FOR UPDATE`;
      const { version, created } = await freezeVersion(tx, { workspaceId: input.workspaceId, templateId: before.id, content: input.content, actor: input.actor });
      await tx.messageTemplate.update({
        where: { id: before.id },
        data: { name: input.name, draft: input.content as unknown as Prisma.InputJsonValue, updatedBy: input.actor.userId },
      });
      if (created || before.name !== input.name) {
        await recordAudit(tx, {
          workspaceId: input.workspaceId,
          actor: input.actor,
          action: "template.updated",
          target: { type: "template", id: before.id },
          diff: { ...(before.name !== input.name ? { name: { from: before.name, to: input.name } } : {}), ...(created ? { version: { to: version.version } } : {}) },
        });
      }
      return { id: before.id, version: version.version, versionId: version.id, created };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(input.name);
    throw error;
  }
}

export async function duplicateTemplate(db: Db, input: { workspaceId: string; actor: Actor; id: string }) {
  const source = await templateRow(db, input.workspaceId, input.id);
  const names = new Set((await db.messageTemplate.findMany({ where: { workspaceId: input.workspaceId, name: { startsWith: source.name } }, select: { name: true } })).map((t) => t.name));
  let name = `${source.name} (copy)`;
  for (let n = 2; names.has(name); n++) name = `${source.name} (copy ${n})`;
  return createTemplate(db, { workspaceId: input.workspaceId, actor: input.actor, name, channel: source.channel as MessageChannel, content: ZTemplateContent.parse(source.draft) });
}

export async function deleteTemplate(db: Db, input: { workspaceId: string; actor: Actor; id: string }) {
  await db.$transaction(async (tx) => {
    const row = await templateRow(tx, input.workspaceId, input.id);
    await tx.messageTemplate.delete({ where: { id: row.id } });
    await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "template.deleted", target: { type: "template", id: row.id }, diff: { name: { from: row.name } } });
  });
}

/** A frozen version, for sending: its content and the partials it was saved with. */
export async function templateVersion(db: DbTx, input: { workspaceId: string; versionId: string }) {
  const row = await db.messageTemplateVersion.findFirst({ where: { id: input.versionId, template: { workspaceId: input.workspaceId } }, include: { template: { select: { name: true } } } });
  if (!row) throw new DomainError("NOT_FOUND", "This template version does not exist.");
  return { id: row.id, version: row.version, name: row.template.name, content: ZTemplateContent.parse(row.content), partials: row.partials as Record<string, string> };
}

export async function latestVersion(db: DbTx, input: { workspaceId: string; templateId: string }) {
  const row = await templateRow(db, input.workspaceId, input.templateId);
  const latest = await db.messageTemplateVersion.findFirst({ where: { templateId: row.id }, orderBy: { version: "desc" }, select: { id: true } });
  if (!latest) throw new DomainError("NOT_FOUND", "This template has no saved version yet.");
  return templateVersion(db, { workspaceId: input.workspaceId, versionId: latest.id });
}

// Partials

export async function listPartials(db: DbTx, workspaceId: string) {
  return db.messagePartial.findMany({ where: { workspaceId }, orderBy: { name: "asc" }, select: { id: true, name: true, body: true, updatedAt: true } });
}

export async function savePartial(db: Db, input: { workspaceId: string; actor: Actor; id?: string; name: string; body: string }) {
  try {
    return await db.$transaction(async (tx) => {
      if (!input.id && (await tx.messagePartial.count({ where: { workspaceId: input.workspaceId } })) >= 50) {
        throw new DomainError("BAD_REQUEST", "A workspace can have at most 50 partials.");
      }
      const before = input.id ? await tx.messagePartial.findFirst({ where: { id: input.id, workspaceId: input.workspaceId } }) : null;
      if (input.id && !before) throw new DomainError("NOT_FOUND", "This partial does not exist.");
      const row = before
        ? await tx.messagePartial.update({ where: { id: before.id }, data: { name: input.name, body: input.body } })
        : await tx.messagePartial.create({ data: { workspaceId: input.workspaceId, name: input.name, body: input.body } });
      await recordAudit(tx, {
        workspaceId: input.workspaceId,
        actor: input.actor,
        action: before ? "partial.updated" : "partial.created",
        target: { type: "partial", id: row.id },
        diff: before ? { ...(before.name !== row.name ? { name: { from: before.name, to: row.name } } : {}), ...(before.body !== row.body ? { body: { to: "changed" } } : {}) } : { name: { to: row.name } },
      });
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("CONFLICT", `A partial named “${input.name}” already exists.`);
    throw error;
  }
}

export async function deletePartial(db: Db, input: { workspaceId: string; actor: Actor; id: string }) {
  await db.$transaction(async (tx) => {
    const row = await tx.messagePartial.findFirst({ where: { id: input.id, workspaceId: input.workspaceId } });
    if (!row) throw new DomainError("NOT_FOUND", "This partial does not exist.");
    // Saved versions keep their own copy; a template still being edited would break.
    const templates = await tx.messageTemplate.findMany({ where: { workspaceId: input.workspaceId }, select: { name: true, draft: true } });
    const partials = await partialMap(tx, input.workspaceId);
    const users = templates.filter((t) => {
      const content = ZTemplateContent.safeParse(t.draft);
      return content.success && row.name in partialsUsed(sourcesOf(content.data), partials);
    });
    if (users.length > 0) {
      throw new DomainError("CONFLICT", `“${row.name}” is used by ${users.slice(0, 5).map((t) => `“${t.name}”`).join(", ")}${users.length > 5 ? ` and ${users.length - 5} more` : ""}. Remove it from those templates first.`);
    }
    await tx.messagePartial.delete({ where: { id: row.id } });
    await recordAudit(tx, { workspaceId: input.workspaceId, actor: input.actor, action: "partial.deleted", target: { type: "partial", id: row.id }, diff: { name: { from: row.name } } });
  });
}
