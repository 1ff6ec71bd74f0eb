import { JOURNEY_STARTERS, journeyStarter, starterSteps, type StarterNeed } from "@/lib/journeys/templates";
import { ZTemplateContent, type MessageChannel } from "@/lib/messages/schema";
import type { Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import { isUniqueViolation } from "@/server/db/errors";
import { DomainError } from "@/server/errors";
import { insertTemplate } from "@/server/messages/templates";
import { afterSegmentChange, insertSegment } from "@/server/segments/service";
import { insertJourney } from "./service";

/**
 * Journeys started from a template (lib/journeys/templates.ts): the segments and messages
 * it needs are either existing ones the marketer picked or created for it, and all of it —
 * those, then the journey — is saved in one transaction: a journey name in use (or any other
 * refusal) leaves nothing behind.
 *
 * "Create" always creates: when the workspace already has a segment or template with the
 * need's name, the new one is called "<name> (2)" (then (3)…). Reusing the existing one is
 * the marketer's explicit choice — `journeyTemplates` lists it first for each need, and the
 * picker preselects it.
 */

/** Per need key: the id of an existing segment / template to use, or "create". */
export type NeedChoices = Readonly<Record<string, string>>;

export interface CreatedForJourney {
  key: string;
  kind: StarterNeed["kind"];
  id: string;
  name: string;
}

/** Each starter with its steps and needs, and per need what the workspace already has that could fill it (same name first). */
export async function journeyTemplates(db: DbTx, workspaceId: string) {
  const [segments, templates] = await Promise.all([
    db.segment.findMany({ where: { workspaceId, archivedAt: null }, select: { id: true, name: true }, orderBy: [{ name: "asc" }, { id: "asc" }], take: 500 }),
    db.messageTemplate.findMany({ where: { workspaceId }, select: { id: true, name: true, channel: true }, orderBy: [{ name: "asc" }, { id: "asc" }], take: 500 }),
  ]);
  const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  return JOURNEY_STARTERS.map((starter) => ({
    key: starter.key,
    name: starter.name,
    description: starter.description,
    phase: starter.phase,
    steps: starterSteps(starter),
    needs: starter.needs.map((need) => {
      const fits = (need.kind === "segment" ? segments : templates.filter((t) => t.channel === need.channel)).map((c) => ({ id: c.id, name: c.name }));
      const existing = fits.filter((c) => sameName(c.name, need.name));
      return {
        key: need.key,
        kind: need.kind,
        name: need.name,
        channel: need.kind === "template" ? need.channel : null,
        description: need.kind === "segment" ? need.description : null,
        /** Same name as the need: probably made from this template before. */
        existing,
        /** Everything that could fill it: the existing ones first, then the rest by name. */
        candidates: [...existing, ...fits.filter((c) => !existing.includes(c))],
      };
    }),
  }));
}

/** `name`, or the first of "name (2)", "name (3)"… nobody uses yet (within 120 characters). */
function freeName(name: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? "" : ` (${n})`;
    const candidate = `${name.slice(0, 120 - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

/** A message for a need, as createTemplate saves one; a name taken since we looked aborts it all. */
async function insertTemplateFor(tx: DbTx, input: { workspaceId: string; actor: Actor; name: string; need: Extract<StarterNeed, { kind: "template" }> }) {
  try {
    const { id } = await insertTemplate(tx, { workspaceId: input.workspaceId, actor: input.actor, name: input.name, channel: input.need.channel, content: ZTemplateContent.parse(input.need.content) });
    return id;
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("CONFLICT", `A template named “${input.name}” was created meanwhile. Try again.`);
    throw error;
  }
}

/** An existing record picked for a need must be of this workspace, live, and (a template) of the need's channel. */
async function checkExisting(tx: DbTx, workspaceId: string, need: StarterNeed, id: string) {
  if (need.kind === "segment") {
    const segment = await tx.segment.findFirst({ where: { id, workspaceId }, select: { archivedAt: true } });
    if (!segment) throw new DomainError("BAD_REQUEST", `${need.name}: the segment you picked does not exist (it may have been deleted). Pick another, or create it.`);
    if (segment.archivedAt) throw new DomainError("BAD_REQUEST", `${need.name}: the segment you picked is archived. Pick another, or create it.`);
    return;
  }
  const template = await tx.messageTemplate.findFirst({ where: { id, workspaceId }, select: { channel: true, name: true } });
  if (!template) throw new DomainError("BAD_REQUEST", `${need.name}: the message you picked does not exist (it may have been deleted). Pick another, or create it.`);
  if (template.channel !== need.channel) throw new DomainError("BAD_REQUEST", `${need.name}: “${template.name}” is a ${template.channel as MessageChannel} message; this step sends ${need.channel}.`);
}

/**
 * A new draft journey from the template `key`, named `name`: first the needs marked
 * "create" (or not mentioned) are created, the others checked, then the journey — in one
 * transaction, audited like any create. Returns the journey and what was created for it.
 */
export async function createJourneyFromTemplate(db: Db, input: { workspaceId: string; actor: Actor; key: string; name: string; use?: NeedChoices }) {
  const starter = journeyStarter(input.key);
  if (!starter) throw new DomainError("NOT_FOUND", `There is no journey template “${input.key}”.`);
  const use = input.use ?? {};
  const stray = Object.keys(use).find((key) => !starter.needs.some((n) => n.key === key));
  if (stray) throw new DomainError("BAD_REQUEST", `The template “${starter.name}” needs nothing called “${stray}”.`);

  const result = await db.$transaction(async (tx) => {
    const needsCreating = starter.needs.filter((n) => (use[n.key] ?? "create") === "create");
    const [segmentNames, templateNames] = await Promise.all([
      needsCreating.some((n) => n.kind === "segment") ? tx.segment.findMany({ where: { workspaceId: input.workspaceId }, select: { name: true } }) : [],
      needsCreating.some((n) => n.kind === "template") ? tx.messageTemplate.findMany({ where: { workspaceId: input.workspaceId }, select: { name: true } }) : [],
    ]);
    const taken = { segment: new Set(segmentNames.map((s) => s.name)), template: new Set(templateNames.map((t) => t.name)) };

    const ids: Record<string, string> = {};
    const created: CreatedForJourney[] = [];
    for (const need of starter.needs) {
      const choice = use[need.key] ?? "create";
      if (choice !== "create") {
        await checkExisting(tx, input.workspaceId, need, choice);
        ids[need.key] = choice;
        continue;
      }
      const name = freeName(need.name, taken[need.kind]);
      const base = { workspaceId: input.workspaceId, actor: input.actor, name };
      const id = need.kind === "segment" ? (await insertSegment(tx, { ...base, description: need.description, definition: need.definition })).id : await insertTemplateFor(tx, { ...base, need });
      ids[need.key] = id;
      created.push({ key: need.key, kind: need.kind, id, name });
    }
    const journey = await insertJourney(tx, { workspaceId: input.workspaceId, actor: input.actor, name: input.name, draft: starter.build(ids), audit: { template: { to: starter.key } } });
    return { ...journey, created };
  });

  // As after createSegment: ingestion re-reads which segments exist, and new ones are counted soon.
  for (const c of result.created) if (c.kind === "segment") await afterSegmentChange(input.workspaceId, { id: c.id, archivedAt: null });
  return result;
}
