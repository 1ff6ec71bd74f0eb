import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { ZJourneyDefinition } from "@/lib/journeys/schema";
import { ingestBatch } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { handleEnroll } from "./enroll-http";
import { stepDue } from "./runtime/steps";
import { createJourney, publishJourney } from "./service";

describe("POST /api/v1/journeys/{id}/enroll", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let key: string;
  let apiJourney: string;
  let eventJourney: string;
  let draftJourney: string;

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    key = (await insertApiKey(t.db, { workspaceId, name: "s", kind: "secret", createdById: admin.id })).raw;
    const actor = { userId: admin.id, label: admin.email };
    const journey = async (name: string, trigger: object, publish = true) => {
      const draft = ZJourneyDefinition.parse({
        schemaVersion: 1,
        nodes: [
          { id: "trigger", kind: "trigger", trigger },
          { id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } },
          { id: "x", kind: "exit" },
        ],
        edges: [
          { id: "a", from: "trigger", exit: "next", to: "w" },
          { id: "b", from: "w", exit: "next", to: "x" },
        ],
      });
      const { id, revision } = await createJourney(t.db, { workspaceId, actor, name, draft });
      if (publish) await publishJourney(t.db, { workspaceId, actor, id, revision });
      return id;
    };
    apiJourney = await journey("By API", { type: "api" });
    eventJourney = await journey("By event", { type: "event", event: "signup", filters: [] });
    draftJourney = await journey("Not yet", { type: "api" }, false);
    const parsed = parseMessage({ type: "identify", userId: "ada", traits: { email: "ada@example.com" }, messageId: "m-1" });
    if (!parsed.ok) throw new Error(parsed.error);
    await ingestBatch(t.db, { workspaceId, items: [{ message: parsed.message, receivedAt: new Date() }] });
  });

  const post = async (journeyId: string, body: unknown, auth = `Bearer ${key}`) => {
    const res = await handleEnroll(new Request("http://x/", { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) }), journeyId);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("enrolls once, with the properties as the trigger event's; the first step follows", async () => {
    const first = await post(apiJourney, { userId: "ada", properties: { plan: "pro" } });
    expect(first).toMatchObject({ status: 200, body: { enrolled: true, enrollmentId: expect.any(String) } });
    expect(await post(apiJourney, { userId: "ada" })).toMatchObject({ status: 200, body: { enrolled: false, reason: "inside", message: "Already inside the journey (for this correlation key)." } });
    const row = await t.db.journeyEnrollment.findUniqueOrThrow({ where: { id: first.body.enrollmentId as string } });
    expect(row.triggerEvent).toMatchObject({ name: "enroll", properties: { plan: "pro" } });
    await stepDue(t.db);
    expect(await t.db.journeyEnrollment.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ nodeId: "w", step: 1 });
  });

  it("says what is wrong: no key, an unknown person or journey, a journey not live or not triggered by the API, bad bodies", async () => {
    expect((await post(apiJourney, { userId: "ada" }, "Bearer nope")).status).toBe(401);
    expect(await post(apiJourney, { userId: "nobody" })).toMatchObject({ status: 404, body: { error: "no profile with this id" } });
    expect(await post("no-such-journey", { userId: "ada" })).toMatchObject({ status: 404, body: { error: "No journey with this id." } });
    expect(await post(draftJourney, { userId: "ada" })).toMatchObject({ status: 409, body: { error: "This journey is not published yet: it enrolls nobody." } });
    expect(await post(eventJourney, { userId: "ada" })).toMatchObject({ status: 409, body: { error: expect.stringContaining("not the enroll API") } });
    expect((await post(apiJourney, "{not json")).status).toBe(400);
    expect((await post(apiJourney, { userId: "ada", properties: { bad: "a\u0000b" } })).status).toBe(400);
    expect((await post(apiJourney, { userId: "ada", extra: 1 })).status).toBe(400);
    expect((await post(apiJourney, { userId: "x".repeat(300) })).status).toBe(400);
    expect((await post(apiJourney, { userId: "ada", properties: { big: "x".repeat(70_000) } })).status).toBe(413);
  });
});
