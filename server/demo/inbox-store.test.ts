import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inboxWriter, listCaught, readCaught } from "./inbox-store";

const mail = (n: number, extra = "") =>
  new TextEncoder().encode(
    [
      `From: "Acme Fitness" <hello@acme.example>`,
      `To: ada${n}@example.com`,
      `Subject: =?UTF-8?Q?Mail_=E2=84=96${n}?=`,
      "Message-ID: <m" + n + "@junction.local>",
      "Date: Thu, 05 Mar 2026 10:00:00 +0000",
      "List-Unsubscribe: <https://junction.example/u/" + n + ">",
      'Content-Type: multipart/alternative; boundary="b"',
      "",
      "--b",
      "Content-Type: text/plain; charset=utf-8",
      "",
      `Text ${n}${extra}`,
      "--b",
      "Content-Type: text/html; charset=utf-8",
      "",
      `<p>HTML ${n}</p>`,
      "--b--",
      "",
    ].join("\r\n"),
  );

let dir: string;
beforeEach(async () => {
  dir = path.join(await mkdtemp(path.join(os.tmpdir(), "junction-inbox-")), "inbox");
});
afterEach(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

describe("the demo inbox on disk", () => {
  it("keeps each message as .eml and .json; lists them newest first, a page at a time; reads one with its parts and headers", async () => {
    const writer = inboxWriter(dir);
    const t0 = new Date("2026-03-05T10:00:00Z");
    for (let n = 1; n <= 5; n++) await writer.save(mail(n), { from: "bounce@acme.example", to: [`ada${n}@example.com`] }, new Date(t0.getTime() + n * 1000));
    expect((await readdir(dir)).filter((f) => f.endsWith(".eml"))).toHaveLength(5);

    const first = await listCaught(dir, { limit: 2 });
    expect(first.total).toBe(5);
    expect(first.items.map((m) => m.subject)).toEqual(["Mail №5", "Mail №4"]);
    expect(first.items[0]).toMatchObject({ from: '"Acme Fitness" <hello@acme.example>', to: "ada5@example.com", receivedAt: new Date(t0.getTime() + 5000), date: new Date("2026-03-05T10:00:00Z"), messageId: "<m5@junction.local>" });
    expect(first.items[0]!.size).toBe(mail(5).byteLength);
    const second = await listCaught(dir, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((m) => m.subject)).toEqual(["Mail №3", "Mail №2"]);
    const last = await listCaught(dir, { limit: 2, cursor: second.nextCursor });
    expect(last.items.map((m) => m.subject)).toEqual(["Mail №1"]);
    expect(last.nextCursor).toBeNull();

    const opened = await readCaught(dir, first.items[0]!.id);
    expect(opened).toMatchObject({ subject: "Mail №5", html: "<p>HTML 5</p>", text: "Text 5", envelope: { from: "bounce@acme.example", to: ["ada5@example.com"] } });
    expect(opened!.headers).toContainEqual({ name: "List-Unsubscribe", value: "<https://junction.example/u/5>" });
  });

  it("is bounded: only the newest are kept, the files of older ones are deleted, so are leftovers of an interrupted save, and nothing else", async () => {
    const writer = inboxWriter(dir, { keep: 3 });
    await writer.save(mail(0), { from: null, to: ["x@example.com"] });
    await writeFile(path.join(dir, "0000000000001-deadbeef.eml"), "half a save");
    await writeFile(path.join(dir, "0000000000002-deadbeef.json.tmp"), "{");
    await writeFile(path.join(dir, "README.txt"), "not ours");
    for (let n = 1; n <= 5; n++) await writer.save(mail(n), { from: null, to: [`ada${n}@example.com`] });
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith(".json"))).toHaveLength(3);
    expect(files.filter((f) => f.endsWith(".eml"))).toHaveLength(3);
    expect(files).toContain("README.txt");
    expect(files.some((f) => f.includes("deadbeef"))).toBe(false);
    const listed = await listCaught(dir, { limit: 50 });
    expect(listed.items.map((m) => m.to)).toEqual(["ada5@example.com", "ada4@example.com", "ada3@example.com"]);
  });

  it("messages caught at once all get their own id, in order, and the bound holds", async () => {
    const writer = inboxWriter(dir, { keep: 5 });
    const now = new Date();
    const saved = await Promise.all(Array.from({ length: 12 }, (_, n) => writer.save(mail(n), { from: null, to: [] }, now)));
    const ids = saved.map((m) => m.id);
    expect(new Set(ids).size).toBe(12);
    expect([...ids].sort()).toEqual(ids);
    const listed = await listCaught(dir, { limit: 50 });
    expect(listed.items.map((m) => m.id)).toEqual(ids.slice(-5).reverse());
  });

  it("an empty or missing inbox lists nothing; ids that are not ours, or gone, read as nothing", async () => {
    expect(await listCaught(dir, { limit: 10 })).toEqual({ items: [], nextCursor: null, total: 0 });
    const writer = inboxWriter(dir);
    const { id } = await writer.save(mail(1), { from: null, to: [] });
    expect(await readCaught(dir, "../../etc/passwd")).toBeNull();
    expect(await readCaught(dir, "0000000000001-00000000")).toBeNull();
    await rm(path.join(dir, `${id}.eml`));
    expect(await readCaught(dir, id)).toBeNull();
  });
});
