import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { db } from "../db";
import { resolveViewer, type Viewer } from "../auth/session";
import { hasRole, type Role } from "../../lib/auth/roles";
import type { Actor } from "../audit/service";
import { DomainError } from "../workspaces/service";

export async function createContext(opts: { headers: Headers }) {
  return { db: db(), viewer: await resolveViewer(opts.headers), headers: opts.headers };
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
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const issues = error.code === "BAD_REQUEST" ? validationIssues(error.cause) : null;
    if (!issues) return { ...shape, data: { ...shape.data, fieldErrors: null } };
    const fieldErrors = fieldErrorsOf(issues);
    const message = Object.entries(fieldErrors)
      .map(([field, messages]) => `${field || "input"}: ${messages.join(", ")}`)
      .join("; ");
    return { ...shape, message, data: { ...shape.data, fieldErrors } };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** Service rule violations become 4xx with the service's message. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(domainErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "Please sign in." });
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

function requireRole(required: Role) {
  return authedProcedure.use(({ ctx, next }) => {
    const membership = ctx.viewer.membership;
    if (!membership) {
      throw new TRPCError({ code: "FORBIDDEN", message: "You are not a member of any workspace." });
    }
    if (!hasRole(membership.role, required)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${required} role; you are ${membership.role}.`,
      });
    }
    const actor: Actor = { userId: ctx.viewer.user.id, label: ctx.viewer.user.email };
    return next({
      ctx: { ...ctx, workspaceId: membership.workspaceId, role: membership.role, actor },
    });
  });
}

/** viewer < marketer < admin, enforced here on the server for every procedure. */
export const viewerProcedure = requireRole("viewer");
export const marketerProcedure = requireRole("marketer");
export const adminProcedure = requireRole("admin");

export type { Viewer };
