import type { Role } from "@/lib/auth/roles";

/** The signed-in person and their workspace role (resolved in session.ts, remembered here). */
export interface Viewer {
  user: { id: string; name: string; email: string };
  /** Null when the user belongs to no workspace (e.g. they were removed). */
  membership: { workspaceId: string; workspaceName: string; role: Role } | null;
}


/**
 * Viewers resolved in the last few seconds, by the request's cookies: the builder sends a
 * burst of requests per edit (estimate, exact count, sample members, autocomplete), and
 * each used to look its session and membership up in Postgres again, queuing behind the
 * counts. Dropped whenever this process signs someone in or out, changes a role, removes a
 * member or renames the workspace (`forgetViewers`), so such a change takes effect at once
 * here and within `VIEWER_TTL_MS` in other processes of the same deployment.
 */
export const VIEWER_TTL_MS = 5_000;
const MAX_VIEWERS = 1_000;

// Per process, not per module instance (Next.js may load this module once per bundle).
const globalForViewers = globalThis as unknown as { junctionViewers?: { byCookies: Map<string, { viewer: Viewer; until: number }>; generation: number } };
const state = (globalForViewers.junctionViewers ??= { byCookies: new Map(), generation: 0 });
const viewers = state.byCookies;

/** Changes whenever viewers are forgotten: a lookup that started before must not be remembered. */
export function viewerGeneration(): number {
  return state.generation;
}

export function cachedViewer(cookies: string): Viewer | undefined {
  const hit = viewers.get(cookies);
  if (!hit) return undefined;
  if (hit.until > Date.now()) return hit.viewer;
  viewers.delete(cookies);
  return undefined;
}

/** Remembers `viewer`, looked up from `cookies` when `viewerGeneration()` was `generation`. */
export function rememberViewer(cookies: string, viewer: Viewer, generation: number) {
  if (generation !== state.generation) return; // forgotten meanwhile: what was read may be stale
  if (viewers.size >= MAX_VIEWERS) viewers.clear();
  viewers.set(cookies, { viewer, until: Date.now() + VIEWER_TTL_MS });
}

export function forgetViewers() {
  state.generation++;
  viewers.clear();
}
