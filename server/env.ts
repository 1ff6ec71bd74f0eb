import { z } from "zod";

/**
 * Environment, validated once. `scripts/run.ts` fills DATABASE_URL (embedded Postgres),
 * JUNCTION_DEMO and BETTER_AUTH_SECRET in demo mode, so the app itself always sees them.
 * Read by the worker, scripts and benches as well (no "server-only" marker); lint keeps
 * components/ from importing it (eslint.config.mjs).
 */
const ZEnv = z.object({
  DATABASE_URL: z.string().url({ message: "DATABASE_URL must be a postgres:// URL" }),
  APP_URL: z.string().url().default("http://localhost:3000"),
  /** The web server's port (scripts/serve.ts); in demo mode sign-in accepts every loopback name on it. */
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  BETTER_AUTH_SECRET: z
    .string()
    .min(32, { message: "BETTER_AUTH_SECRET must be at least 32 characters" })
    .optional(),
  JUNCTION_DEMO: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
  /** Demo mode's data (embedded Postgres, generated secrets, the demo inbox); run.ts passes it as an absolute path. */
  JUNCTION_DATA_DIR: z.string().min(1).default(".data"),
  /**
   * Master key(s) for provider secrets (server/channels/credentials.ts): base64 keys of 32
   * bytes, comma-separated, the first encrypting. Generated under JUNCTION_DATA_DIR in demo
   * mode; `npm start` refuses to run without it when DATABASE_URL is set.
   */
  JUNCTION_SECRET_KEY: z.string().optional(),
  /** Lets channels reach loopback and private addresses (local development, tests); the settings page says so. */
  JUNCTION_ALLOW_PRIVATE_NETWORK: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
  SIGN_IN_RATE_LIMIT: z.coerce.number().int().positive().default(10),
  /** Messages per second per write key (token bucket, burst of one second). */
  INGEST_RATE_LIMIT: z.coerce.number().int().positive().default(20_000),
  /**
   * Workspaces up to this many profiles are previewed with exact counts in SQL; bigger ones
   * with the in-memory sample, then per-condition sets (server/segments/preview.ts). The e2e
   * run sets 0, so its small workspace goes the way of a big one.
   */
  PREVIEW_EXACT_BELOW: z.coerce.number().int().min(0).default(20_000),
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
});

export type Env = z.infer<typeof ZEnv>;

let cached: Env | undefined;

export function env(): Env {
  if (!cached) {
    const parsed = ZEnv.safeParse(process.env);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
      throw new Error(`Invalid environment:\n${lines.join("\n")}`);
    }
    cached = parsed.data;
  }
  return cached;
}
