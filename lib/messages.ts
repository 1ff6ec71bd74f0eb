import { formatCount } from "@/lib/format";

/**
 * Validation messages in words a marketer reads: zod's defaults ("Too small: expected number
 * to be >=0") become "must be at least 0". Messages we wrote ourselves pass through. Each
 * reads after the field's name: "Value must be at least 0", "Event name is required".
 */
interface IssueLike {
  code?: string;
  message: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  expected?: string;
  received?: string;
  values?: unknown[];
  options?: unknown[];
  format?: string;
}

const ZOD_DEFAULT = /^(Too (small|big)|Invalid)\b/;

const list = (values: unknown[]) => values.map((v) => (typeof v === "string" ? `“${v}”` : String(v))).join(", ");

export function plainMessage(issue: IssueLike): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  const n = (v: number | bigint | undefined) => formatCount(Number(v ?? 0));
  switch (issue.code) {
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? "is required" : `must be at least ${n(issue.minimum)} characters`;
      if (issue.origin === "array" || issue.origin === "set") return Number(issue.minimum) <= 1 ? "needs at least one value" : `needs at least ${n(issue.minimum)} values`;
      return issue.inclusive === false ? `must be more than ${n(issue.minimum)}` : `must be at least ${n(issue.minimum)}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${n(issue.maximum)} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `can have at most ${n(issue.maximum)} values`;
      return issue.inclusive === false ? `must be less than ${n(issue.maximum)}` : `must be at most ${n(issue.maximum)}`;
    case "invalid_type":
      if (issue.expected === "int") return "must be a whole number";
      if (issue.received === "undefined" || issue.received === "NaN" || /received (undefined|NaN)$/.test(issue.message)) return "is required";
      if (issue.expected === "number") return "must be a number";
      if (issue.expected === "string") return "must be text";
      if (issue.expected === "boolean") return "must be yes or no";
      return "is not the right kind of value";
    case "invalid_value":
      return issue.values && issue.values.length > 0 ? `must be one of ${list(issue.values)}` : "is not one of the choices";
    case "invalid_union":
      return issue.options && issue.options.length > 0 ? `must be one of ${list(issue.options)}` : "is not one of the choices";
    case "invalid_format":
      return issue.format === "email" ? "must be an email address" : issue.format === "url" ? "must be a web address" : "is not in the right format";
    default:
      return "is not valid";
  }
}
