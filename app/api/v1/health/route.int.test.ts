import { describe, expect, it } from "vitest";
import { sql } from "@/server/db/client";
import { useTestDatabase } from "@/server/test/database";

describe("GET /api/v1/health", () => {
  const t = useTestDatabase();

  it("answers 200 with the database up, and the change feed's lag per consumer", async () => {
    const { GET } = await import("./route");
    const res = await GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: { status: "up" }, feed: [
        { consumer: "journeys", behind: 0, seconds: 0, lagging: false },
        { consumer: "segments", behind: 0, seconds: 0, lagging: false },
      ],
    });

    // Rows waiting for two minutes: the consumer is lagging; the app is still healthy (it takes events and catches up).
    await sql(t.db).execute`
      INSERT INTO change_feed (workspace_id, kind, profile_ids, created_at) VALUES ('w', 'events', ARRAY['p1'], now() - interval '2 minutes'), ('w', 'events', ARRAY['p2'], now())`;
    const lagging = await GET();
    expect(lagging.status).toBe(200);
    const body = (await lagging.json()) as { feed: { consumer: string; behind: number; seconds: number; lagging: boolean }[] };
    expect(body.feed).toEqual([
      { consumer: "journeys", behind: 2, seconds: expect.any(Number), lagging: true },
      { consumer: "segments", behind: 2, seconds: expect.any(Number), lagging: true },
    ]);
    expect(body.feed[1]!.seconds).toBeGreaterThanOrEqual(119);
  });
});
