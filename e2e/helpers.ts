import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

export const SCREENSHOTS = path.join(import.meta.dirname, ".artifacts", "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

/** Full-page screenshot for people to look at (e2e/.artifacts/screenshots); `busy`: a request is meant to be pending. */
export async function snap(page: Page, name: string, options: { busy?: boolean } = {}) {
  if (!options.busy) await page.waitForLoadState("networkidle");
  // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export const ADMIN = { name: "Ada Admin", email: "ada@acme.test", password: "correct-horse-battery", workspace: "Acme Fitness" };
export const VIEWER = { name: "Victor Viewer", email: "victor@acme.test", password: "viewer-password-123" };
/** Invited and joined in ingestion.spec.ts. */
export const MARKETER = { email: "mara@acme.test", password: "marketer-password-1" };

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("/");
}

/** Settings → API keys: creates a key (the page must be open) and returns it as shown once. */
export async function createKey(page: Page, name: string, kind: "write" | "secret") {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Type").selectOption(kind);
  await page.getByRole("button", { name: "Create key" }).click();
  const field = page.getByTestId("new-key");
  await expect(field).toHaveValue(kind === "write" ? /^jw_/ : /^js_/);
  return field.inputValue();
}

/** The port of the app under test (npm test sets E2E_PORT). */
export const PORT = Number(process.env.E2E_PORT ?? 3100);

/**
 * A request to the app from a chosen local address (the whole of 127.0.0.0/8 is this
 * machine): the server sees another client, whatever the headers claim.
 */
export function requestFrom(
  localAddress: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: import("node:http").IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: PORT, localAddress, method: options.method ?? "GET", path: options.path, headers: options.headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The process listening on `port` (Linux: the socket's inode in /proc/net, then whose fd it is). */
export function listeningPid(port: number): number | null {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === "0A") inodes.add(cols[9]!);
    }
  }
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return Number(pid);
      } catch {
        // gone meanwhile
      }
    }
  }
  return null;
}

/** Resident memory of a process, in bytes. */
export function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}
