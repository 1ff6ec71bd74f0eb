import type { z } from "zod";
import { plainMessage } from "@/lib/messages";
import { Cancelled, DOMAIN_ERROR_STATUS, DomainError } from "@/server/errors";
import { isDatabaseUnavailable, isInputFault } from "@/server/db/errors";
import { validate, type SegmentDefinition } from "@/lib/segments/schema";
import { readText } from "./body";

/**
 * Route handlers outside tRPC (the public JSON API, downloads): one wrapper, `apiHandler`,
 * turns what a handler throws into the answer — a `Refusal` or a service's `DomainError`
 * into its 4xx, a value the database cannot store into a 400, an unreachable database into
 * a 503 with Retry-After, anything else into a plain 500 — never a stack or the database's
 * words. Answers are never cached.
 */

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** The request is refused: answered with `status` and `{ error, ...extra }`. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function apiHandler(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Refusal) return json(error.status, { error: error.message, ...error.extra }, error.headers);
    if (error instanceof DomainError) return json(DOMAIN_ERROR_STATUS[error.code], { error: error.message });
    if (error instanceof Cancelled) return json(499, { error: error.message });
    if (isInputFault(error)) return json(400, { error: "A value in this request cannot be stored (out of range or malformed)." });
    if (isDatabaseUnavailable(error)) {
      console.error("API: database unavailable:", error instanceof Error ? error.message : error);
      return json(503, { error: "The database is unavailable right now. Retry later." }, { "retry-after": "5" });
    }
    console.error("API request failed:", error);
    return json(500, { error: "Something went wrong on our side." });
  }
}

/** The body as JSON, read within `limit` bytes (413 beyond it, 400 when cut off or not JSON). */
export async function readJson(req: Request, limit: number): Promise<unknown> {
  const text = await readText(req, limit);
  if (!text.ok) {
    throw text.reason === "too-large" ? new Refusal(413, `The request body is larger than ${Math.round(limit / 1024)} KB.`) : new Refusal(400, "the request body was cut off");
  }
  try {
    return JSON.parse(text.text);
  } catch {
    throw new Refusal(400, "invalid JSON");
  }
}

type Issue = { path: (string | number)[]; message: string };

/** 400 naming every problem: `{ error: "a.b: message; …", errors: [{ path, message }] }`. */
export function invalid(errors: Issue[]): Refusal {
  return new Refusal(400, errors.map((e) => `${e.path.join(".") || "body"}: ${e.message}`).join("; "), { errors });
}

/** `value` checked against `schema`, or a 400 naming each problem. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)), message: plainMessage(i) })));
  return parsed.data;
}

/** A segment definition from a request (at `path`, for the error), or a 400 naming each problem. */
export function parseDefinition(value: unknown, path: (string | number)[] = ["definition"]): SegmentDefinition {
  const result = validate(value);
  if (!result.ok) throw invalid(result.errors.map((e) => ({ path: [...path, ...e.path], message: e.message })));
  return result.definition;
}
