import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { parseMail, parseMailHeaders, type MimeAttachment, type MimeHeader } from "@/lib/demo/mime";

/**
 * The demo inbox on disk (`.data/inbox/`): each caught message is `<id>.eml` (the bytes as
 * they came over SMTP) and `<id>.json` (who, what, when, how big), written in that order, so
 * a message whose JSON exists is complete. Ids sort by arrival. Only the newest `keep`
 * messages stay; older ones are deleted as new ones arrive.
 *
 * The catcher (server/demo/smtp-catcher.ts, in the start command's process) writes; the app
 * reads (server/demo/inbox.ts). Nothing else is ever in this folder.
 */

export const INBOX_KEEP = 500;

/** `<13-digit ms since 1970>-<8 hex>`: sorts by arrival, and is all a file name here can be. */
const ID = /^\d{13}-[0-9a-f]{8}$/;
const FILE = /^(\d{13}-[0-9a-f]{8})\.(?:eml|json)(?:\.tmp)?$/;

const ZCaughtMeta = z.object({
  id: z.string().regex(ID),
  receivedAt: z.coerce.date(),
  /** From and To as written in the message (decoded), else the envelope's. */
  from: z.string(),
  to: z.string(),
  subject: z.string().nullable(),
  /** The message's own Date header. */
  date: z.coerce.date().nullable(),
  messageId: z.string().nullable(),
  /** The SMTP envelope: who the client said it was from and to. */
  envelope: z.object({ from: z.string().nullable(), to: z.array(z.string()) }),
  size: z.number().int().min(0),
});
export type CaughtMeta = z.infer<typeof ZCaughtMeta>;

export interface CaughtMail extends CaughtMeta {
  headers: MimeHeader[];
  html: string | null;
  text: string | null;
  attachments: MimeAttachment[];
}

export interface Envelope {
  from: string | null;
  to: string[];
}

/**
 * The writing side: saves are serialized (one at a time, so pruning never sees a message
 * half-written) and ids strictly increase within the process.
 */
export function inboxWriter(dir: string, options: { keep?: number } = {}) {
  const keep = options.keep ?? INBOX_KEEP;
  let queue: Promise<unknown> = Promise.resolve();
  let lastMs = 0;

  async function write(raw: Uint8Array, envelope: Envelope, now: Date): Promise<CaughtMeta> {
    await mkdir(dir, { recursive: true });
    const ms = Math.max(now.getTime(), lastMs + 1);
    lastMs = ms;
    const id = `${String(ms).padStart(13, "0")}-${randomBytes(4).toString("hex")}`;
    const head = parseMailHeaders(raw);
    const meta: CaughtMeta = {
      id,
      receivedAt: new Date(ms),
      from: head.from ?? envelope.from ?? "",
      to: head.to ?? envelope.to.join(", "),
      subject: head.subject,
      date: head.date,
      messageId: head.messageId,
      envelope,
      size: raw.byteLength,
    };
    await writeFile(path.join(dir, `${id}.eml`), raw);
    await writeFile(path.join(dir, `${id}.json.tmp`), JSON.stringify(meta));
    await rename(path.join(dir, `${id}.json.tmp`), path.join(dir, `${id}.json`));
    await prune(dir, keep);
    return meta;
  }

  return {
    dir,
    save(raw: Uint8Array, envelope: Envelope, now: Date = new Date()): Promise<CaughtMeta> {
      const next = queue.then(() => write(raw, envelope, now));
      queue = next.catch(() => {});
      return next;
    },
  };
}

/** Keeps the newest `keep` complete messages; deletes the rest, and leftovers of an interrupted save. */
async function prune(dir: string, keep: number): Promise<void> {
  const files = await readdir(dir);
  const complete = files.filter((f) => f.endsWith(".json") && ID.test(f.slice(0, -5))).map((f) => f.slice(0, -5));
  const kept = new Set(complete.sort().slice(-keep));
  const doomed = files.filter((f) => {
    const id = FILE.exec(f)?.[1];
    return id !== undefined && !kept.has(id);
  });
  // The JSON first: a message without it is invisible to readers.
  doomed.sort((a, b) => Number(b.endsWith(".json")) - Number(a.endsWith(".json")));
  for (const f of doomed) await rm(path.join(dir, f), { force: true });
}

async function readMeta(dir: string, id: string): Promise<CaughtMeta | null> {
  try {
    const parsed = ZCaughtMeta.safeParse(JSON.parse(await readFile(path.join(dir, `${id}.json`), "utf8")));
    return parsed.success && parsed.data.id === id ? parsed.data : null;
  } catch {
    return null; // deleted meanwhile, or not ours
  }
}

/** Caught messages, newest first, a page at a time (`cursor`: the last id of the previous page). */
export async function listCaught(dir: string, input: { cursor?: string | null; limit: number }): Promise<{ items: CaughtMeta[]; nextCursor: string | null; total: number }> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { items: [], nextCursor: null, total: 0 };
    throw error;
  }
  const ids = files
    .filter((f) => f.endsWith(".json") && ID.test(f.slice(0, -5)))
    .map((f) => f.slice(0, -5))
    .sort()
    .reverse();
  const after = input.cursor ? ids.filter((id) => id < input.cursor!) : ids;
  const page = after.slice(0, input.limit);
  const items = (await Promise.all(page.map((id) => readMeta(dir, id)))).filter((m): m is CaughtMeta => m !== null);
  return { items, nextCursor: after.length > input.limit ? page.at(-1)! : null, total: ids.length };
}

/** One caught message, read: its parts and headers. Null when there is no such message (any more). */
export async function readCaught(dir: string, id: string): Promise<CaughtMail | null> {
  if (!ID.test(id)) return null;
  const meta = await readMeta(dir, id);
  if (!meta) return null;
  let raw: Buffer;
  try {
    raw = await readFile(path.join(dir, `${id}.eml`));
  } catch {
    return null;
  }
  const mail = parseMail(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
  return { ...meta, headers: mail.headers, html: mail.html, text: mail.text, attachments: mail.attachments };
}

/** Whether `id` has the shape of an inbox id (for input validation). */
export function isInboxId(id: string): boolean {
  return ID.test(id);
}
