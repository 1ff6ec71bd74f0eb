import type { Db } from "@/server/db/client";
import type { FeedConsumer } from "@/server/feed/consumer";
import type { FeedRow } from "@/server/feed/feed";
import { decideDue, decideProfiles, SEGMENTS_CONSUMER, type MembershipCause } from "./membership";

/** People re-decided per call of decideProfiles (one load of their events). */
const PEOPLE_PER_DECISION = 2_000;

/**
 * The change feed's segment consumer: every saved segment is decided again for the people
 * the rows touched — stored events, consent answers and traits a journey set (cause "event"), merges ("merge") —
 * and for the people whose time-based re-check is due. Membership rows (its own output) and
 * deletions (their exits are written by the deletion itself) need nothing from it.
 */
export function segmentsConsumer(db: Db, clock: () => Date = () => new Date()): FeedConsumer {
  return {
    name: SEGMENTS_CONSUMER,
    batch: 500,
    async handle(tx, rows) {
      const now = clock();
      for (const [workspaceId, causes] of touched(rows)) {
        const ids = [...causes.keys()];
        for (let i = 0; i < ids.length; i += PEOPLE_PER_DECISION) {
          const chunk = new Map(ids.slice(i, i + PEOPLE_PER_DECISION).map((id) => [id, causes.get(id)!]));
          await decideProfiles(tx, db, { workspaceId, causes: chunk, now });
        }
      }
    },
    due: (tx) => decideDue(tx, db, clock()),
  };
}

/** Per workspace, the people touched and why ("merge" wins over "event"). */
export function touched(rows: FeedRow[]): Map<string, Map<string, MembershipCause>> {
  const byWorkspace = new Map<string, Map<string, MembershipCause>>();
  for (const row of rows) {
    if (row.kind !== "events" && row.kind !== "consent" && row.kind !== "merge" && row.kind !== "traits") continue;
    let causes = byWorkspace.get(row.workspaceId);
    if (!causes) byWorkspace.set(row.workspaceId, (causes = new Map()));
    for (const id of row.profileIds) {
      if (row.kind === "merge") causes.set(id, "merge");
      else if (!causes.has(id)) causes.set(id, "event");
    }
  }
  return byWorkspace;
}
