import "server-only";
import { plainMessage } from "@/lib/messages";
import { Cancelled, DomainError } from "@/server/errors";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { db } from "@/server/db";
import { resolveViewer } from "@/server/auth/session";
import { can, PERMISSIONS, type Action } from "@/lib/auth/roles";
import type { Actor } from "@/server/audit/service";

import { isDatabaseUnavailable, isInputFault } from "@/server/db/errors";
import { MAX_JSON_DEPTH, describeProblem, findUnstorable } from "@/lib/storable";

export async function createContext(opts: { headers: Headers }) {
  try {
    return { db: db(), viewer: await resolveViewer(opts.headers), headers: opts.headers };
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: UNAVAILABLE_MESSAGE, cause: error });
    throw error;
  }
}
export type Context = Awaited<ReturnType<typeof createContext>>;

interface IssueLike {
  path: PropertyKey[];
  message: string;
}

function validationIssues(cause: unknown): IssueLike[] | null {
  if (cause && typeof cause === "object" && "issues" in cause && Array.isArray(cause.issues)) {
    return cause.issues as IssueLike[];
  }
  return null;
}

/** `{ "members.0.email": ["Invalid email"] }`, and "" for the input as a whole. */
export function fieldErrorsOf(issues: IssueLike[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join(".");
    (out[key] ??= []).push(plainMessage(issue));
  }
  return out;
}

/** What a client sees of a failure that is not its fault: never the database's words. */
export const INTERNAL_MESSAGE = "Something went wrong on our side. Try again; if it keeps happening, tell your admin.";
export const UNAVAILABLE_MESSAGE = "The database is unavailable right now. Try again in a moment.";

/** Input problems found before any schema ran (InputIssues), shaped like zod's for the formatter. */
class InputIssues extends Error {
  constructor(readonly issues: IssueLike[]) {
    super(issues.map((i) => i.message).join("; "));
  }
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // No stack traces for clients, in any mode: failures are logged in full by the endpoint (server/api/http.ts).
    const data = { ...shape.data, fieldErrors: null as Record<string, string[]> | null };
    delete data.stack;
    if (error.code === "INTERNAL_SERVER_ERROR") return { ...shape, message: INTERNAL_MESSAGE, data };
    const issues = error.code === "BAD_REQUEST" ? validationIssues(error.cause) : null;
    if (!issues) return { ...shape, data };
    const fieldErrors = fieldErrorsOf(issues);
    const message = Object.entries(fieldErrors)
      .map(([field, messages]) => `${field || "input"}: ${messages.join(", ")}`)
      .join("; ");
    return { ...shape, message, data: { ...data, fieldErrors } };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/**
 * Service rule violations become 4xx with the service's message; cancelled work (the
 * caller went away, a newer preview replaced it) is CLIENT_CLOSED_REQUEST; a value the
 * database refuses is the input's fault (400); a database that cannot be reached is a 503.
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof DomainError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
  if (cause instanceof Cancelled) throw new TRPCError({ code: "CLIENT_CLOSED_REQUEST", message: cause.message, cause });
  if (result.error.code === "INTERNAL_SERVER_ERROR" && isInputFault(cause)) {
    throw new TRPCError({ code: "BAD_REQUEST", message: "A value in this request cannot be stored (out of range or malformed).", cause });
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR" && isDatabaseUnavailable(cause)) {
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: UNAVAILABLE_MESSAGE, cause });
  }
  return result;
});

/**
 * Before any schema sees the input: NUL characters, broken Unicode (lone surrogates) and
 * nesting deeper than 64 levels anywhere are a 400 naming the field. Postgres could not
 * store them, and deep input would overflow recursive validation.
 */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const problem = findUnstorable(await getRawInput(), MAX_JSON_DEPTH);
  if (problem) throw new TRPCError({ code: "BAD_REQUEST", message: describeProblem(problem), cause: new InputIssues([problem]) });
  return next();
});

export const publicProcedure = t.procedure.use(domainErrors).use(storableInput);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in." });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

/**
 * A procedure for members allowed to do `action` (lib/auth/roles.ts, the one permission
 * map), enforced here on the server for every call; its context has the workspace and the
 * actor for the audit log.
 */
export function procedureFor(action: Action) {
  return authedProcedure.use(({ ctx, next }) => {
    const membership = ctx.viewer.membership;
    if (!membership) {
      throw new TRPCError({ code: "FORBIDDEN", message: "You are not a member of any workspace." });
    }
    if (!can(membership.role, action)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${PERMISSIONS[action]} role; you are ${membership.role}.`,
      });
    }
    const actor: Actor = { userId: ctx.viewer.user.id, label: ctx.viewer.user.email };
    return next({
      ctx: { ...ctx, workspaceId: membership.workspaceId, role: membership.role, actor },
    });
  });
}
