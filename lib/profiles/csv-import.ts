import { z } from "zod";
import { plainMessage } from "@/lib/messages";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";

/**
 * CSV import of profiles: one row per person, an id column (the user id), an optional
 * email column, every other column a trait. Values are typed the way a marketer expects:
 * 42 → number, true/false → boolean, empty → not set.
 */

export const IMPORT_CHUNK_ROWS = 250;
/** A chunk also stays under this many bytes of JSON (the app's request limit is 2 MB). */
export const IMPORT_CHUNK_BYTES = 1024 * 1024;
export const MAX_IMPORT_ROWS = 100_000;

const ID_COLUMNS = ["id", "user_id", "userid", "user id", "external_id"];
const EMAIL_COLUMNS = ["email", "e-mail", "email_address", "mail"];

export interface ColumnMapping {
  idColumn: string;
  emailColumn: string | null;
}

/** Guess which columns hold the id and the email. */
export function guessMapping(columns: string[]): ColumnMapping | null {
  const find = (candidates: string[]) => columns.find((c) => candidates.includes(c.trim().toLowerCase())) ?? null;
  const idColumn = find(ID_COLUMNS);
  return idColumn ? { idColumn, emailColumn: find(EMAIL_COLUMNS) } : null;
}

export function typedValue(raw: string): string | number | boolean | undefined {
  const value = raw.trim();
  if (value === "") return undefined;
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  if (/^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

const storable = { message: `id, column names and values ${UNSTORABLE_MESSAGE}` };

export const ZImportRow = z.object({
  line: z.number().int().positive(),
  id: z.string().trim().min(1, { message: "id is required" }).max(256, { message: "id is longer than 256 characters" }).regex(STORABLE, storable),
  email: z.email({ message: "email is not a valid address" }).max(320).optional(),
  traits: z.record(
    z.string().max(100, { message: "column names must be at most 100 characters" }).regex(STORABLE, storable),
    z.union([z.string().max(2000).regex(STORABLE, storable), z.number(), z.boolean()]),
  ),
});
export type ImportRow = z.infer<typeof ZImportRow>;

export type RowResult = { ok: true; row: ImportRow } | { ok: false; line: number; error: string };

/** One CSV record (column → text) to an import row, or the reason it cannot be imported. */
export function toImportRow(record: Record<string, string | undefined>, mapping: ColumnMapping, line: number): RowResult {
  const traits: Record<string, string | number | boolean> = {};
  for (const [column, raw] of Object.entries(record)) {
    if (column === mapping.idColumn || column === mapping.emailColumn || raw === undefined) continue;
    const name = column.trim();
    if (!name) continue;
    const value = typedValue(raw);
    if (value !== undefined) traits[name] = value;
  }
  const email = mapping.emailColumn ? record[mapping.emailColumn]?.trim() : undefined;
  const parsed = ZImportRow.safeParse({
    line,
    id: record[mapping.idColumn] ?? "",
    email: email ? email : undefined,
    traits,
  });
  if (!parsed.success) return { ok: false, line, error: parsed.error.issues.map((i) => plainMessage(i)).join("; ") };
  return { ok: true, row: parsed.data };
}

/** Rows in chunks of at most `maxRows` rows and (roughly, as JSON) `maxBytes` bytes; a row bigger than that goes alone. */
export function chunkRows<T>(rows: T[], maxRows = IMPORT_CHUNK_ROWS, maxBytes = IMPORT_CHUNK_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = JSON.stringify(row).length * 3; // a UTF-16 unit is at most 3 UTF-8 bytes
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
