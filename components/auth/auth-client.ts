"use client";

import { createAuthClient } from "better-auth/react";

/** Same origin as the app; better-auth's handler lives at /api/auth. */
export const authClient = createAuthClient();

export const INVITATION_HEADER = "x-junction-invitation";
export const WORKSPACE_NAME_HEADER = "x-junction-workspace-name";

/** better-auth error codes → what we tell people. */
export function authErrorMessage(error: { code?: string; message?: string; status?: number } | null): string {
  if (!error) return "";
  if (error.status === 429) return "Too many attempts. Wait a minute and try again.";
  switch (error.code) {
    case "INVALID_EMAIL_OR_PASSWORD":
      return "Wrong email or password.";
    case "USER_ALREADY_EXISTS":
    case "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL":
      return "An account with this email already exists. Sign in instead.";
    case "PASSWORD_TOO_SHORT":
      return "The password is too short: use at least 10 characters.";
    case "INVALID_EMAIL":
      return "Enter a valid email address.";
    default:
      return error.message || "Something went wrong. Please try again.";
  }
}
