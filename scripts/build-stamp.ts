/**
 * Whether the production build in .next was made from the sources as they are now.
 * `npm start` builds once and reuses that build until a source changes (a `git pull`, an
 * edit): it hashes every file the build reads and keeps the hash beside the build.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** What `next build` reads: the app's folders and the configuration around them. */
const INPUTS = [
  "app",
  "components",
  "lib",
  "server",
  "public",
  "instrumentation.ts",
  "next.config.ts",
  "postcss.config.mjs",
  "tsconfig.json",
  "package-lock.json",
  "prisma/schema.prisma",
];
const SKIP = /(\.test\.tsx?$)|(^|\/)(node_modules|\.next|generated)(\/|$)/;
const STAMP = "junction-source-hash";

async function files(root: string, relative: string): Promise<string[]> {
  const full = path.join(root, relative);
  if (!existsSync(full)) return [];
  const entries = await readdir(full, { withFileTypes: true }).catch(() => null);
  if (!entries) return [relative]; // a file
  const nested = await Promise.all(
    entries
      .map((e) => path.posix.join(relative, e.name))
      .filter((p) => !SKIP.test(p))
      .map((p) => files(root, p)),
  );
  return nested.flat();
}

/** sha256 over the names and contents of every build input, in a fixed order. */
export async function sourceHash(root: string): Promise<string> {
  const hash = createHash("sha256");
  const all = (await Promise.all(INPUTS.map((input) => files(root, input)))).flat().sort();
  for (const file of all) {
    hash.update(`${file}\0`);
    hash.update(await readFile(path.join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** True when .next holds a production build of exactly these sources. */
export async function buildIsCurrent(root: string, hash: string): Promise<boolean> {
  const dir = path.join(root, ".next");
  if (!existsSync(path.join(dir, "BUILD_ID"))) return false;
  const stamp = await readFile(path.join(dir, STAMP), "utf8").catch(() => "");
  return stamp.trim() === hash;
}

export async function recordBuild(root: string, hash: string): Promise<void> {
  await writeFile(path.join(root, ".next", STAMP), `${hash}\n`);
}

/**
 * Builds the app for production unless .next already holds a build of these sources.
 * `run` spawns a command and resolves with its exit code. Resolves with 0 when the build is usable.
 */
export async function ensureProductionBuild(
  root: string,
  run: (command: string, args: string[]) => Promise<number>,
  log: (line: string) => void,
): Promise<number> {
  const hash = await sourceHash(root);
  if (await buildIsCurrent(root, hash)) {
    log("reusing the production build (the sources are unchanged)");
    return 0;
  }
  log("building the app for production (once, and again only when the sources change; a few minutes on 2 cores)");
  const code = await run(path.join(root, "node_modules", ".bin", "next"), ["build"]);
  if (code === 0) await recordBuild(root, hash);
  return code;
}
