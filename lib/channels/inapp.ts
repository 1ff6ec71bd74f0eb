import { z } from "zod";
import { STORABLE, UNSTORABLE_MESSAGE } from "@/lib/storable";

/**
 * An in-app message as it is kept for a person and handed to their app (GET
 * /api/v1/profiles/{userId}/messages): the rendered title, body and optional button of an
 * in-app template (lib/messages/schema.ts `ZInAppContent`, after Liquid). Pure.
 */

const text = (max: number) =>
  z
    .string({ error: "must be text" })
    .max(max, { message: `must be at most ${max.toLocaleString("en-US")} characters` })
    .regex(STORABLE, { message: UNSTORABLE_MESSAGE });

/** Schemes a customer's page would run or load rather than open: never a button's target. */
const SCRIPT_SCHEMES = /^(javascript|data|vbscript|file|blob):/i;

/** Why `url` cannot be a button's link, or null. Relative paths and app deep links (`myapp://…`) are fine. */
export function buttonUrlProblem(url: string): string | null {
  // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
  const squeezed = url.replace(/[\u0000-\u0020\u007f]/g, "");
  if (SCRIPT_SCHEMES.test(squeezed)) return "must not be a javascript:, data:, vbscript:, file: or blob: address";
  return null;
}

export const ZInAppMessageContent = z.object({
  title: text(1_000).trim().min(1, { message: "is required" }),
  body: text(20_000),
  /** Empty means no button. */
  buttonLabel: text(200).trim().nullish().transform((v) => v || null),
  /** A link without a label is kept: the app may make the whole card its link. */
  buttonUrl: text(2_000)
    .trim()
    .superRefine((value, ctx) => {
      const problem = buttonUrlProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .nullish()
    .transform((v) => v || null),
});

export type InAppMessageContent = z.infer<typeof ZInAppMessageContent>;
/** What a caller hands over (rendered template fields; empty strings mean "none"). */
export type InAppMessageInput = z.input<typeof ZInAppMessageContent>;
