/**
 * Helpers of bench/feed/run.ts: the app and the worker as child processes, CPU time per
 * process group from /proc, and a CPU profile's hottest functions.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Child {
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `args` under node (tsx loaded), its output appended to `log`; `ready` resolves when a line matches. */
export function startNode(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; log: string; ready?: RegExp; nodeOptions?: string[] }): Promise<Child> {
  const out = createWriteStream(options.log, { flags: "a" });
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), "--import", "tsx", ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    if (!options.ready) return resolve({ process: child, stop });
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4000);
      if (options.ready!.test(seen)) {
        child.stdout!.off("data", onData);
        resolve({ process: child, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code}) before it was ready; see ${options.log}`)));
  });
}

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  uid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

const TICK_MS = 10; // _SC_CLK_TCK = 100 on Linux

function processes(): Map<number, Proc> {
  const all = new Map<number, Proc>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      all.set(Number(name), { pid: Number(name), ppid: Number(f[1]), comm, uid, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** CPU ms used so far per process (with its group: the trees under the given pids, Postgres, everything else), and the machine's. */
export interface CpuSnapshot {
  byPid: Map<number, { group: string; ms: number }>;
  total: number;
  idle: number;
}

export function cpuSnapshot(groups: Record<string, number | undefined>): CpuSnapshot {
  const all = processes();
  const rootOf = (p: Proc): string | undefined => {
    for (let at: Proc | undefined = p, hops = 0; at && hops < 50; at = all.get(at.ppid), hops++) {
      for (const [name, pid] of Object.entries(groups)) if (pid !== undefined && at.pid === pid) return name;
    }
    return undefined;
  };
  const byPid = new Map<number, { group: string; ms: number }>();
  for (const p of all.values()) byPid.set(p.pid, { group: rootOf(p) ?? (p.comm === "postgres" ? "postgres" : "other"), ms: p.ticks * TICK_MS });
  // Idle and total from /proc/stat (all cores).
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.split(/\s+/).slice(1).map(Number);
  return { byPid, total: cpu.reduce((a, b) => a + b, 0) * TICK_MS, idle: (cpu[3]! + cpu[4]!) * TICK_MS };
}

/**
 * Cores used per group between two snapshots (1.0 = one core busy all the time). A process
 * that ended in between (a pooled connection closed when idle) took its time with it: that
 * is in "busy" but in no group ("unattributed").
 */
export function coresUsed(before: CpuSnapshot, after: CpuSnapshot, wallMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, p] of after.byPid) {
    const was = before.byPid.get(pid);
    out[p.group] = (out[p.group] ?? 0) + (p.ms - (was?.ms ?? 0)) / wallMs;
  }
  const total = (after.total - before.total) / wallMs;
  out.idle = (after.idle - before.idle) / wallMs;
  out.busy = total - out.idle;
  const known = Object.entries(out).filter(([k]) => k !== "busy" && k !== "idle").reduce((a, [, v]) => a + v, 0);
  out.unattributed = Math.max(0, out.busy - known);
  return out;
}

export function formatCores(c: Record<string, number>, order: string[]): string {
  return order.filter((k) => c[k] !== undefined).map((k) => `${k} ${c[k]!.toFixed(2)}`).join(", ");
}

/** The functions with the most self time in a .cpuprofile, as lines. */
export function hottest(profilePath: string, top = 25): string[] {
  const profile = JSON.parse(readFileSync(profilePath, "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)/, "$1").replace(/^.*\/wt-bench\//, "").replace(/^file:\/\//, "");
    const key = `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const lines = [`${(total / 1000).toFixed(1)} s sampled; by file (self time):`];
  const byFile = new Map<string, number>();
  for (const [key, ms] of self) {
    const file = key.slice(key.indexOf(" ") + 1).replace(/:\d+$/, "").replace(/^(node_modules\/(@[^/]+\/)?[^/]+)\/.*$/, "$1") || "(native)";
    byFile.set(file, (byFile.get(file) ?? 0) + ms);
  }
  for (const [file, ms] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${file}`);
  lines.push("by function (self time):");
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${key}`);
  return lines;
}
