import "server-only";
import { cache } from "react";
import { headers } from "next/headers";
import { db } from "@/server/db";
import { auth } from "./auth";
import { cachedViewer, rememberViewer, viewerGeneration, type Viewer } from "./viewer-cache";
import type { Role } from "@/lib/auth/roles";

/** The signed-in person and their workspace role, resolved from request headers (remembered for a few seconds: viewer-cache.ts). */
export async function resolveViewer(requestHeaders: Headers): Promise<Viewer | null> {
  const cookies = requestHeaders.get("cookie");
  const cached = cookies ? cachedViewer(cookies) : undefined;
  if (cached) return cached;
  const generation = viewerGeneration();
  const viewer = await lookUpViewer(requestHeaders);
  if (viewer && cookies) rememberViewer(cookies, viewer, generation);
  return viewer;
}

async function lookUpViewer(requestHeaders: Headers): Promise<Viewer | null> {
  const session = await auth().api.getSession({ headers: requestHeaders });
  if (!session) {
    // better-auth also answers "no session" when it could not reach the database: with a
    // session cookie, ask the database once, so that an outage throws (a 503, not "sign in").
    if (requestHeaders.get("cookie")?.includes("session_token")) await db().$queryRaw`SELECT 1`;
    return null;
  }
  const membership = await db().membership.findFirst({
    where: { userId: session.user.id },
    include: { workspace: { select: { name: true } } },
    orderBy: { createdAt: "asc" },
  });
  return {
    user: { id: session.user.id, name: session.user.name, email: session.user.email },
    membership: membership
      ? {
          workspaceId: membership.workspaceId,
          workspaceName: membership.workspace.name,
          role: membership.role as Role,
        }
      : null,
  };
}

/** For server components: once per request. */
export const currentViewer = cache(async () => resolveViewer(await headers()));
