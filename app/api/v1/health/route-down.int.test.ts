import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/server/db/embedded";

describe("GET /api/v1/health with the database down", () => {
  beforeAll(async () => {
    // A port nobody listens on: the database is "down".
    process.env.DATABASE_URL = `postgresql://postgres:secret-password@127.0.0.1:${await freePort()}/junction`;
  });

  it("answers 503 without leaking the connection string", async () => {
    const { GET } = await import("./route");
    const res = await GET();
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: "degraded", database: { status: "down" } });
    expect(text).not.toContain("secret-password");
  });
});
