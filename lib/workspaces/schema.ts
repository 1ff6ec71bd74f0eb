import { z } from "zod";
import { ZRole } from "@/lib/auth/roles";
import { isTimeZone } from "@/lib/time";

export const ZWorkspaceSettings = z.object({
  name: z
    .string()
    .trim()
    .min(1, { message: "Give the workspace a name" })
    .max(80, { message: "Keep the name under 80 characters" }),
  defaultTimezone: z.string().refine(isTimeZone, { message: "Not a known time zone" }),
});
export type WorkspaceSettings = z.infer<typeof ZWorkspaceSettings>;

export const ZInviteMember = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email({ message: "Enter a valid email address" })),
  role: ZRole,
});
export type InviteMember = z.infer<typeof ZInviteMember>;
