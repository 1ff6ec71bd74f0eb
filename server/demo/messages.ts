import { DEMO_PARTIALS, DEMO_TEMPLATES } from "@/lib/demo/messages";
import type { Actor } from "@/server/audit/service";
import type { Db } from "@/server/db/client";
import { createTemplate, savePartial } from "@/server/messages/templates";

/** The demo workspace's partials and templates (lib/demo/messages.ts), through the same service the editor uses. */
export async function seedDemoMessages(db: Db, workspaceId: string, actor: Actor): Promise<void> {
  for (const [name, body] of Object.entries(DEMO_PARTIALS)) await savePartial(db, { workspaceId, actor, name, body });
  const groups = new Map((await db.subscriptionGroup.findMany({ where: { workspaceId }, select: { id: true, name: true } })).map((g) => [g.name, g.id]));
  for (const t of DEMO_TEMPLATES) {
    const content = { ...t.content, subscriptionGroupId: t.group ? (groups.get(t.group) ?? null) : null };
    await createTemplate(db, { workspaceId, actor, name: t.name, channel: t.content.channel, content });
  }
}
