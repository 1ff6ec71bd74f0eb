/**
 * What a database error means for the caller, told apart once: the input's fault (a 4xx,
 * never retried), the database being unreachable (503 with Retry-After), or anything else.
 * Works for node-postgres errors (`code` is the SQLSTATE) and Prisma's (the SQLSTATE or
 * the driver error sits in `cause`/`meta`; connection failures have P1xxx codes).
 */

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const e = current as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; kind?: unknown } } }; cause?: unknown };
    if (typeof e.code === "string") codes.push(e.code);
    if (typeof e.meta?.code === "string") codes.push(e.meta.code);
    const adapter = e.meta?.driverAdapterError?.cause;
    if (typeof adapter?.originalCode === "string") codes.push(adapter.originalCode);
    if (typeof adapter?.kind === "string") codes.push(adapter.kind);
    current = e.cause;
  }
  return codes;
}

/**
 * The value itself cannot be stored: data exceptions (class 22: bad encoding, NUL,
 * out-of-range numbers and dates, invalid JSON text) and program limits (class 54: too
 * deep, too long for an index).
 */
export function isInputFault(error: unknown): boolean {
  return codesOf(error).some((code) => /^(22|54)[0-9A-Z]{3}$/.test(code));
}

const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3])/; // connection exceptions, out of resources, shutting down / cannot connect now
const UNAVAILABLE_NODE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"]);
const UNAVAILABLE_PRISMA = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** The database cannot be reached right now (down, restarting, out of connections): try again later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (codesOf(error).some((code) => UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE.has(code) || UNAVAILABLE_PRISMA.has(code))) return true;
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|connect ECONNREFUSED|Can't reach database server|timeout exceeded when trying to connect/i.test(message);
}

/** Two transactions got in each other's way (deadlock, serialization failure): doing it again is right. */
export function isTransientConflict(error: unknown): boolean {
  return codesOf(error).some((code) => code === "40P01" || code === "40001");
}

/** A unique constraint refused the write (Prisma's P2002, or Postgres 23505 through raw SQL or the adapter). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; meta?: { code?: string } } | null;
  return e?.code === "P2002" || e?.code === "23505" || e?.meta?.code === "23505";
}
