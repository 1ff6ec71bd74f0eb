import { triggerOf } from "@/lib/journeys/triggers";
import { sqlTransaction, type Db } from "@/server/db/client";
import { DomainError } from "@/server/errors";
import { ENROLL_REFUSALS, enroll, type EnrollOutcome } from "./enroll";
import { databaseNow } from "./steps";
import { liveJourneys } from "./versions";

/**
 * The enroll API's trigger: a live journey whose trigger is "the enroll API" takes a person
 * when asked — with the same re-entry rule, cap and once-per-key guarantee as every other
 * trigger. The properties given become the trigger event's, for templates
 * (`{{ event.properties.plan }}`). The person's first step follows within a second.
 */
export async function enrollByApi(
  db: Db,
  input: { workspaceId: string; journeyId: string; profileId: string; properties?: Record<string, unknown>; correlation?: string | null; clock?: () => Date },
): Promise<EnrollOutcome & { message: string }> {
  return sqlTransaction(db, async (tx) => {
    const [row] = await tx.query<{ status: string }>`SELECT status FROM journeys WHERE id = ${input.journeyId} AND workspace_id = ${input.workspaceId}`;
    if (!row) throw new DomainError("NOT_FOUND", "No journey with this id.");
    const journey = (await liveJourneys(tx, [input.workspaceId])).find((j) => j.id === input.journeyId);
    if (!journey) throw new DomainError("CONFLICT", `This journey is ${row.status === "draft" ? "not published yet" : row.status}: it enrolls nobody.`);
    if (triggerOf(journey.def)?.type !== "api") throw new DomainError("CONFLICT", "This journey's trigger is not the enroll API: people enter it when its trigger happens.");
    const now = input.clock ? input.clock() : await databaseNow(tx);
    const outcome = await enroll(tx, {
      journey,
      profileId: input.profileId,
      now,
      event: { name: "enroll", properties: input.properties ?? {}, timestamp: now },
      correlation: input.correlation ?? null,
    });
    return { ...outcome, message: outcome.enrolled ? "Enrolled: their first step follows within a second." : ENROLL_REFUSALS[outcome.reason] };
  });
}
