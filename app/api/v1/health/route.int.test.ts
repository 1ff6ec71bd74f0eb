import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";

describe("GET /api/v1/health", () => {
  useTestDatabase();

  it("answers 200 with the database up", async () => {
    const { GET } = await import("./route");
    const res = await GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", database: { status: "up" } });
  });
});
