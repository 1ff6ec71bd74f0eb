import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { ingestBatch } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { searchProfiles } from "./service";

describe("profile search", () => {
  const t = useTestDatabase();
  let workspaceId: string;

  beforeAll(async () => {
    ({ workspace: { id: workspaceId } } = await createWorkspaceWith(t.db));
    const people = [
      { userId: "50%off", traits: { email: "sale_1@example.com", note: "100% sure" } },
      { userId: "50-off", traits: { email: "salex1@example.com", note: "100 x sure" } },
      { userId: "a_b", traits: {} },
      { userId: "axb", traits: {} },
    ];
    const items = people.map((p, i) => {
      const parsed = parseMessage({ type: "identify", ...p, messageId: `s-${i}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    await ingestBatch(t.db, { workspaceId, items });
  });

  const ids = async (search: string) => (await searchProfiles(t.db, { workspaceId, search, limit: 25 })).profiles.map((p) => p.userId).sort();

  it.each([
    ["50%", ["50%off"]],
    ["a_", ["a_b"]],
    ["sale_", ["50%off"]],
    ["100%", ["50%off"]],
    ["%", ["50%off"]],
    ["_", ["50%off"]],
    ["b", []],
    ["50", ["50%off", "50-off"]],
  ])("%j matches %j (percent and underscore mean themselves)", async (search, expected) => {
    expect(await ids(search)).toEqual(expected);
  });
});
