import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { newMasterKey, parseKeyring } from "./credentials";
import { describeSecrets, putSecret, readSecret, rotateSecrets } from "./secrets";

describe("provider secrets in the database", () => {
  const t = useTestDatabase();

  it("stores only ciphertext, tells settings pages only a hint, reads back for the provider", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const keyring = parseKeyring(newMasterKey());
    const where = { workspaceId: workspace.id, owner: "channel:c1" };
    await putSecret(t.db, { ...where, name: "password", value: "correct-horse-battery-34", keyring });
    const [row] = await t.db.$queryRaw<{ ciphertext: string }[]>`SELECT ciphertext FROM secrets`;
    expect(row!.ciphertext).not.toContain("correct-horse");
    expect(await describeSecrets(t.db, where)).toEqual([{ name: "password", set: true, hint: "34", updatedAt: expect.any(Date) }]);
    expect(JSON.stringify(await describeSecrets(t.db, where))).not.toContain("correct-horse");
    expect(await readSecret(t.db, { ...where, name: "password", keyring })).toBe("correct-horse-battery-34");
    expect(await readSecret(t.db, { ...where, name: "token", keyring })).toBeNull();
    // Replacing keeps one row.
    await putSecret(t.db, { ...where, name: "password", value: "another-password-99", keyring });
    expect(await readSecret(t.db, { ...where, name: "password", keyring })).toBe("another-password-99");
    expect(await t.db.secret.count()).toBe(1);
    // A row copied onto another owner does not decrypt there.
    await t.db.$executeRaw`INSERT INTO secrets (id, workspace_id, owner, name, ciphertext, key_id, updated_at)
                           SELECT 'copied', workspace_id, 'channel:c2', name, ciphertext, key_id, now() FROM secrets`;
    await expect(readSecret(t.db, { workspaceId: workspace.id, owner: "channel:c2", name: "password", keyring })).rejects.toThrow(/does not decrypt/);
  });

  it("rotates every secret to the new key while the old one still reads, and names what it cannot read", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const [oldKey, newKey, lostKey] = [newMasterKey(), newMasterKey(), newMasterKey()];
    const before = parseKeyring(oldKey);
    for (let i = 0; i < 25; i++) await putSecret(t.db, { workspaceId: workspace.id, owner: `channel:c${i}`, name: "token", value: `token-number-${i}-xyz`, keyring: before });
    await putSecret(t.db, { workspaceId: workspace.id, owner: "channel:lost", name: "token", value: "lost-token-value", keyring: parseKeyring(lostKey) });

    const rotating = parseKeyring(`${newKey},${oldKey}`);
    const result = await rotateSecrets(t.db, { keyring: rotating, batch: 10 });
    expect(result.rotated).toBe(25);
    // (The other test's secrets, under keys of their own, are unreadable here too: all are reported, none changed.)
    expect(result.unreadable.filter((u) => u.keyId === parseKeyring(lostKey).current.id)).toHaveLength(1);
    expect(result.unreadable.every((u) => u.keyId !== before.current.id)).toBe(true);
    // After rotation the new key alone reads them all (but the lost one).
    const after = parseKeyring(newKey);
    for (let i = 0; i < 25; i++) expect(await readSecret(t.db, { workspaceId: workspace.id, owner: `channel:c${i}`, name: "token", keyring: after })).toBe(`token-number-${i}-xyz`);
    expect(await t.db.secret.count({ where: { workspaceId: workspace.id, keyId: after.current.id } })).toBe(25);
    // Nothing left to do a second time.
    expect((await rotateSecrets(t.db, { keyring: rotating })).rotated).toBe(0);
  });
});
