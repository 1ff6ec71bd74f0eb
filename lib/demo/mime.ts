/**
 * A small MIME reader for the demo inbox: enough to show what Junction's own email looks like
 * when it arrives (nodemailer's output: multipart/alternative or mixed, quoted-printable,
 * base64, 7bit or 8bit, any charset TextDecoder knows, RFC 2047 encoded words in headers).
 * Not a general mail parser: no RFC 2231 parameters, no message/rfc822 inside, no S/MIME.
 *
 * Works on "binary strings" (one character per byte) so a body's bytes survive until its
 * charset is known. Pure: runs anywhere TextDecoder and atob exist.
 */

export interface MimeHeader {
  /** As written ("List-Unsubscribe"). */
  name: string;
  /** Unfolded and decoded (encoded words, UTF-8). */
  value: string;
}

export interface MimeAttachment {
  filename: string | null;
  contentType: string;
  size: number;
}

export interface ParsedMail {
  headers: MimeHeader[];
  subject: string | null;
  from: string | null;
  to: string | null;
  /** The Date header, when it is a date. */
  date: Date | null;
  messageId: string | null;
  html: string | null;
  text: string | null;
  attachments: MimeAttachment[];
}

/** Nested multiparts deeper than this are not opened (nodemailer goes 3 deep at most). */
const MAX_DEPTH = 8;
/** Parts read per message; the rest are ignored. */
const MAX_PARTS = 200;

/** Bytes → a string with one character (code 0–255) per byte. */
export function bytesToBinary(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

function binaryToBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i) & 0xff;
  return bytes;
}

/** Decodes bytes (as a binary string) in `charset`; an unknown charset reads as UTF-8. */
export function decodeCharset(binary: string, charset: string | null | undefined): string {
  const label = (charset ?? "utf-8").trim().toLowerCase() || "utf-8";
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label === "us-ascii" || label === "ascii" ? "utf-8" : label);
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(binaryToBytes(binary));
}

/** Quoted-printable → bytes (binary string): soft line breaks joined, =XX decoded, anything else kept. */
export function decodeQuotedPrintable(input: string): string {
  return input
    .replace(/[ \t]+(?=\r?\n)/g, "")
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Base64 → bytes (binary string); line breaks and other characters outside the alphabet are skipped. */
export function decodeBase64(input: string): string {
  const clean = input.replace(/[^A-Za-z0-9+/]/g, "");
  const usable = clean.slice(0, clean.length - (clean.length % 4 === 1 ? 1 : 0));
  try {
    return atob(usable + "=".repeat((4 - (usable.length % 4)) % 4));
  } catch {
    return "";
  }
}

/**
 * RFC 2047 encoded words (`=?UTF-8?Q?Hi_Ada?=`, `=?utf-8?B?…?=`) in a header value decoded;
 * whitespace between two encoded words dropped, as the RFC says.
 */
export function decodeWords(value: string): string {
  const word = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;
  const joined = value.replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)/g, "$1");
  return joined.replace(word, (_, charset: string, encoding: string, text: string) => {
    const bytes = encoding.toUpperCase() === "B" ? decodeBase64(text) : decodeQuotedPrintable(text.replace(/_/g, " "));
    return decodeCharset(bytes, charset);
  });
}

/** Header block (binary string) → headers in order, unfolded; values decoded. */
export function parseHeaderBlock(block: string): MimeHeader[] {
  const headers: MimeHeader[] = [];
  for (const line of block.split(/\r?\n(?![ \t])/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (!/^[!-9;-~]+$/.test(name)) continue;
    const raw = line
      .slice(colon + 1)
      .replace(/\r?\n[ \t]+/g, " ")
      .trim();
    // 8-bit header bytes are UTF-8 (RFC 6532); encoded words are ASCII and survive that.
    headers.push({ name, value: decodeWords(decodeCharset(raw, "utf-8")) });
  }
  return headers;
}

/** `text/html; charset="utf-8"` → its type (lower case) and parameters (names lower case, quotes removed). */
export function parseParams(value: string): { value: string; params: Record<string, string> } {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && quoted && i + 1 < value.length) {
      current += value[++i];
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ";" && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  const params: Record<string, string> = {};
  for (const part of parts.slice(1)) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
  }
  return { value: (parts[0] ?? "").trim().toLowerCase(), params };
}

function header(headers: MimeHeader[], name: string): string | null {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value ?? null;
}

/** Splits an entity (binary string) at its first empty line. */
function splitEntity(entity: string): { head: string; body: string } {
  const empty = /^\r?\n/.exec(entity);
  if (empty) return { head: "", body: entity.slice(empty[0].length) };
  const match = /\r?\n\r?\n/.exec(entity);
  if (!match) return /^[^\s:]+:/.test(entity) ? { head: entity, body: "" } : { head: "", body: entity };
  return { head: entity.slice(0, match.index), body: entity.slice(match.index + match[0].length) };
}

/** The parts of a multipart body, between `--boundary` lines, up to `--boundary--`. */
function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)`, "g");
  let start = -1;
  for (let match = delimiter.exec(body); match; match = delimiter.exec(body)) {
    if (start >= 0) parts.push(body.slice(start, match.index));
    if (match[1]) return parts;
    // The part begins after the delimiter's line break.
    const rest = body.slice(match.index + match[0].length);
    start = match.index + match[0].length + (/^\r?\n/.exec(rest)?.[0].length ?? 0);
  }
  // No closing delimiter: what follows the last one is the last part.
  if (start >= 0 && start < body.length) parts.push(body.slice(start));
  return parts;
}

function decodeBody(body: string, encoding: string | null): string {
  switch ((encoding ?? "7bit").trim().toLowerCase()) {
    case "base64":
      return decodeBase64(body);
    case "quoted-printable":
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

interface Walk {
  html: string | null;
  text: string | null;
  attachments: MimeAttachment[];
  parts: number;
}

function walk(headers: MimeHeader[], body: string, depth: number, into: Walk): void {
  if (++into.parts > MAX_PARTS) return;
  const type = parseParams(header(headers, "content-type") ?? "text/plain");
  const disposition = parseParams(header(headers, "content-disposition") ?? "");
  if (type.value.startsWith("multipart/")) {
    const boundary = type.params.boundary;
    if (!boundary || depth >= MAX_DEPTH) return;
    for (const part of splitMultipart(body, boundary)) {
      const { head, body: partBody } = splitEntity(part);
      walk(parseHeaderBlock(head), partBody, depth + 1, into);
    }
    return;
  }
  // A message of one part ends with the line break before SMTP's final "."; it is not content.
  const bytes = decodeBody(depth === 0 ? body.replace(/\r?\n$/, "") : body, header(headers, "content-transfer-encoding"));
  const filename = disposition.params.filename ?? type.params.name ?? null;
  const inline = disposition.value !== "attachment" && filename === null;
  if (inline && type.value === "text/html" && into.html === null) into.html = decodeCharset(bytes, type.params.charset);
  else if (inline && (type.value === "text/plain" || type.value === "") && into.text === null) into.text = decodeCharset(bytes, type.params.charset);
  else into.attachments.push({ filename: filename === null ? null : decodeWords(filename), contentType: type.value || "text/plain", size: bytes.length });
}

/** Reads a message as it came over SMTP (bytes, or a string of them). */
export function parseMail(raw: Uint8Array | string): ParsedMail {
  const binary = typeof raw === "string" ? raw : bytesToBinary(raw);
  const { head, body } = splitEntity(binary);
  const headers = parseHeaderBlock(head);
  const into: Walk = { html: null, text: null, attachments: [], parts: 0 };
  walk(headers, body, 0, into);
  const dateText = header(headers, "date");
  const date = dateText ? new Date(dateText) : null;
  return {
    headers,
    subject: header(headers, "subject"),
    from: header(headers, "from"),
    to: header(headers, "to"),
    date: date && !Number.isNaN(date.getTime()) ? date : null,
    messageId: header(headers, "message-id"),
    html: into.html,
    text: into.text,
    attachments: into.attachments,
  };
}

/** Header blocks longer than this are cut (real ones are a few kilobytes). */
const MAX_HEAD_BYTES = 256 * 1024;

/** Only the headers (for the list: from, to, subject, date), without reading the body. */
export function parseMailHeaders(raw: Uint8Array | string): Pick<ParsedMail, "headers" | "subject" | "from" | "to" | "date" | "messageId"> {
  const start = typeof raw === "string" ? raw.slice(0, MAX_HEAD_BYTES) : bytesToBinary(raw.subarray(0, MAX_HEAD_BYTES));
  const { headers, subject, from, to, date, messageId } = parseMail(`${splitEntity(start).head}\r\n\r\n`);
  return { headers, subject, from, to, date, messageId };
}
