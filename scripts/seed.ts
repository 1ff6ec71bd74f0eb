/**
 * `npm run seed -- --profiles N --events M --seed S [--workspace <id or slug>] [--now <ISO date>] [--indexes auto|keep|rebuild]`
 *
 * Loads deterministic demo data (lib/demo/generator.ts) into DATABASE_URL with COPY
 * (server/demo/load.ts). Without --workspace: the only workspace, or the oldest one.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { z } from "zod";
import { MIN_EVENTS_PER_PROFILE, MAX_DEMO_PROFILES } from "../lib/demo/generator";
import { loadDemoData, type LoadProgress } from "../server/demo/load";

const USAGE =
  "usage: npm run seed -- --profiles N --events M --seed S [--workspace <id or slug>] [--now <ISO date>] [--indexes auto|keep|rebuild]";

const count = (name: string) =>
  z
    .string({ message: `--${name} is required` })
    .regex(/^\d[\d_]*$/, { message: `--${name} must be a whole number (e.g. 10000 or 10_000)` })
    .transform((v) => Number(v.replaceAll("_", "")))
    .pipe(z.number().int().min(1, { message: `--${name} must be at least 1` }));

const ZArgs = z
  .object({
    profiles: count("profiles").pipe(z.number().max(MAX_DEMO_PROFILES, { message: `--profiles must be at most ${MAX_DEMO_PROFILES}` })),
    events: count("events"),
    seed: z
      .string({ message: "--seed is required" })
      .regex(/^\d+$/, { message: "--seed must be a non-negative whole number" })
      .transform(Number)
      .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, { message: "--seed is too large" })),
    workspace: z.string().trim().min(1, { message: "--workspace must not be empty" }).optional(),
    now: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), { message: "--now must be an ISO date, e.g. 2026-06-01T00:00:00Z" })
      .transform((v) => new Date(v))
      .optional(),
    indexes: z.enum(["auto", "keep", "rebuild"], { message: "--indexes must be auto, keep or rebuild" }).default("auto"),
  });

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function parse() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        profiles: { type: "string" },
        events: { type: "string" },
        seed: { type: "string" },
        workspace: { type: "string" },
        now: { type: "string" },
        indexes: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const parsed = ZArgs.safeParse(values);
  if (!parsed.success) {
    fail(`${parsed.error.issues.map((issue) => `  ${issue.message}`).join("\n")}\n${USAGE}`);
  }
  const { profiles, events } = parsed.data;
  if (events < MIN_EVENTS_PER_PROFILE * profiles) {
    fail(`  --events must be at least ${MIN_EVENTS_PER_PROFILE} × --profiles (${MIN_EVENTS_PER_PROFILE * profiles} for ${profiles} profiles)\n${USAGE}`);
  }
  return parsed.data;
}

async function resolveWorkspace(url: string, wanted: string | undefined): Promise<{ id: string; name: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ exists: boolean }>("SELECT to_regclass('workspaces') IS NOT NULL AS exists");
    if (!tables[0]?.exists) fail("This database has no Junction tables yet: run `npm run db:migrate` first.");
    if (wanted) {
      const { rows } = await client.query<{ id: string; name: string }>(
        "SELECT id, name FROM workspaces WHERE id = $1 OR slug = $1 ORDER BY (id = $1) DESC LIMIT 1",
        [wanted],
      );
      return rows[0] ?? fail(`No workspace with id or slug "${wanted}".`);
    }
    const { rows } = await client.query<{ id: string; name: string }>("SELECT id, name FROM workspaces ORDER BY created_at, id LIMIT 1");
    return rows[0] ?? fail("There is no workspace yet: sign up in the app first (the first sign-up creates one).");
  } finally {
    await client.end();
  }
}

const number = (n: number) => Math.round(n).toLocaleString("en-US");

async function main() {
  const args = parse();
  const url = process.env.DATABASE_URL;
  if (!url) fail("DATABASE_URL is not set: point it at the database to seed (postgresql://user@host:5432/db).");
  const workspace = await resolveWorkspace(url, args.workspace);
  const now = args.now ?? new Date();
  console.log(
    `seeding workspace "${workspace.name}" (${workspace.id}): ${number(args.profiles)} profiles, ${number(args.events)} events, seed ${args.seed}, now ${now.toISOString()}`,
  );

  const started = performance.now();
  const tty = process.stdout.isTTY;
  let lastPrint = 0;
  let lastPhase = "";
  const report = (p: LoadProgress) => {
    const t = performance.now();
    const finished = p.done === p.total;
    if (!finished && p.phase === lastPhase && t - lastPrint < (tty ? 200 : 5_000)) return;
    lastPrint = t;
    lastPhase = p.phase;
    const line = `  ${p.phase.padEnd(18)} ${number(p.done).padStart(12)} / ${number(p.total)}  (${((t - started) / 1000).toFixed(1)} s)`;
    if (tty) process.stdout.write(`\r${line}${finished ? "\n" : ""}`);
    else console.log(line);
  };

  const result = await loadDemoData(url, { workspaceId: workspace.id, profiles: args.profiles, events: args.events, seed: args.seed, now, indexes: args.indexes }, report);
  const seconds = result.ms / 1000;
  const rows = result.profiles + result.identities + result.events;
  console.log(
    `done in ${seconds.toFixed(1)} s: ${number(result.profiles)} profiles, ${number(result.identities)} identities, ${number(result.events)} events ` +
      `(${number(rows / seconds)} rows/s)${result.rebuilt.length ? `; rebuilt the indexes of ${result.rebuilt.join(", ")}` : ""}`,
  );
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
