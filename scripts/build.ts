/** `npm run build`: the production build `npm start` uses, made only when the sources changed (scripts/build-stamp.ts). */
import { spawn } from "node:child_process";
import path from "node:path";
import { ensureProductionBuild } from "./build-stamp";

const root = path.resolve(import.meta.dirname, "..");
const run = (command: string, args: string[]) =>
  new Promise<number>((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", cwd: root, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" } });
    child.on("exit", (code) => resolve(code ?? 1));
  });

process.exitCode = await ensureProductionBuild(root, run, (line) => console.log(`[junction] ${line}`));
