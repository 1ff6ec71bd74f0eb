import { describe, expect, it } from "vitest";
import { DEMO_EVENTS, DEMO_PROFILES, DEMO_SEED, generateDemoData } from "@/lib/demo/generator";
import { renderTemplate } from "@/lib/messages/render";
import { ZTemplateContent } from "@/lib/messages/schema";
import { eventVariables, personVariables } from "@/lib/messages/variables";
import { DEMO_PARTIALS, DEMO_TEMPLATES } from "./messages";

describe("the demo workspace's messages", () => {
  it("are valid and render for every demo person with their latest event", () => {
    const now = new Date("2026-06-01T12:00:00.000Z");
    const people: { person: Record<string, unknown>; event: Record<string, unknown> | null }[] = [];
    for (const item of generateDemoData({ workspaceId: "ws_demo", profiles: DEMO_PROFILES, events: DEMO_EVENTS, seed: DEMO_SEED, now })) {
      if (item.table === "profiles") people.push({ person: personVariables(item.row), event: null });
      else if (item.table === "events") people.at(-1)!.event = eventVariables(item.row);
    }
    expect(people.length).toBe(DEMO_PROFILES);
    for (const template of DEMO_TEMPLATES) {
      expect(ZTemplateContent.parse(template.content)).toEqual(template.content);
      const failures = people
        .map(({ person, event }) => renderTemplate(template.content, { person, event: event ?? { name: "app_open", properties: {} }, unsubscribe_url: "u", preferences_url: "p" }, DEMO_PARTIALS))
        .filter((r) => !r.ok);
      expect(failures.slice(0, 1), template.name).toEqual([]);
    }
  });
});
