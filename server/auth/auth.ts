import "server-only";
import { DomainError } from "@/server/errors";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { nextCookies } from "better-auth/next-js";
import { db } from "@/server/db";
import { forgetViewers } from "./viewer-cache";
import { env } from "@/server/env";
import { trustedOrigins } from "@/lib/auth/origins";

import {
  INVITATION_HEADER,
  WORKSPACE_NAME_HEADER,
  assertSignUpAllowed,
  onUserCreated,
} from "./onboarding";

export const MIN_PASSWORD_LENGTH = 10;

function headerValue(headers: Headers | undefined, name: string): string | null {
  const raw = headers?.get(name);
  if (!raw) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function createAuth() {
  const config = env();
  return betterAuth({
    appName: "Junction",
    baseURL: config.APP_URL,
    trustedOrigins: trustedOrigins({ appUrl: config.APP_URL, port: config.PORT, demo: config.JUNCTION_DEMO }),
    secret: config.BETTER_AUTH_SECRET,
    database: prismaAdapter(db(), { provider: "postgresql" }),
    emailAndPassword: {
      enabled: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      autoSignIn: true,
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    rateLimit: {
      enabled: true,
      storage: "database",
      window: 60,
      max: 300,
      customRules: {
        "/sign-in/email": { window: 60, max: config.SIGN_IN_RATE_LIMIT },
        "/sign-up/email": { window: 60, max: config.SIGN_IN_RATE_LIMIT },
      },
    },
    advanced: {
      // scripts/serve.ts sets X-Forwarded-For to the one client address it believes
      // (TRUSTED_PROXIES, server/http/forwarded.ts): the sign-in limit and session addresses
      // follow it, and no client can choose its own.
      ipAddress: { ipAddressHeaders: ["x-forwarded-for"] },
      useSecureCookies: config.APP_URL.startsWith("https://"),
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax" },
    },
    hooks: {
      // Signing in or out, or any change to a user or session: viewers remembered by this process are stale.
      after: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/get-session") forgetViewers();
      }),
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-up/email") return;
        const email = typeof ctx.body?.email === "string" ? ctx.body.email : "";
        try {
          await assertSignUpAllowed(db(), {
            email,
            invitationToken: headerValue(ctx.headers, INVITATION_HEADER),
          });
        } catch (error) {
          if (error instanceof DomainError) throw new APIError("FORBIDDEN", { message: error.message });
          throw error;
        }
      }),
    },
    databaseHooks: {
      user: {
        create: {
          after: async (user, ctx) => {
            await onUserCreated(db(), {
              user,
              invitationToken: headerValue(ctx?.headers, INVITATION_HEADER),
              workspaceName: headerValue(ctx?.headers, WORKSPACE_NAME_HEADER),
            });
          },
        },
      },
    },
    plugins: [nextCookies()],
  });
}

export type Auth = ReturnType<typeof createAuth>;

const globalForAuth = globalThis as unknown as { junctionAuth?: Auth };

/** Created on first use, so `next build` never needs a database or secrets. */
export function auth(): Auth {
  globalForAuth.junctionAuth ??= createAuth();
  return globalForAuth.junctionAuth;
}
