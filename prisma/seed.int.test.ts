import { verifyPassword } from "better-auth/crypto";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../server/test/database";
import { DEMO_EMAIL, DEMO_PASSWORD, DEMO_WORKSPACE, seedDemo } from "./seed";

describe("demo seed", () => {
  const t = useTestDatabase();

  it("creates the demo admin once, with the documented password", async () => {
    expect(await seedDemo(t.db)).toBe(true);
    expect(await seedDemo(t.db)).toBe(false);
    const users = await t.db.user.findMany({ include: { accounts: true, memberships: { include: { workspace: true } } } });
    expect(users).toHaveLength(1);
    const [user] = users;
    expect(user?.email).toBe(DEMO_EMAIL);
    expect(user?.memberships).toMatchObject([{ role: "admin", workspace: { name: DEMO_WORKSPACE } }]);
    const hash = user?.accounts.find((a) => a.providerId === "credential")?.password ?? "";
    expect(await verifyPassword({ hash, password: DEMO_PASSWORD })).toBe(true);
    expect(await verifyPassword({ hash, password: "wrong" })).toBe(false);
    // Demo mode's email channel, to the local mail catcher (server/demo/inbox-channel.ts).
    expect(await t.db.channel.findMany({ select: { id: true, kind: true, name: true } })).toEqual(expect.arrayContaining([{ id: "demo-inbox", kind: "email", name: "Demo inbox (local)" }]));
  });
});
