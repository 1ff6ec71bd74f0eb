/**
 * The web server of `npm start` / `npm run dev` (scripts/run.ts starts it once the
 * database is ready): Next.js behind a plain Node HTTP server of ours, so that what the
 * network says about a request is settled before the app reads it. Forwarded headers are
 * believed only from TRUSTED_PROXIES (server/http/forwarded.ts); everything downstream —
 * Next.js, better-auth's sign-in rate limit and session addresses, the CSRF check — reads
 * the rewritten headers. Every response gets the security headers (server/http/security-headers.ts).
 *
 *   node --import tsx scripts/serve.ts start|dev     (PORT, TRUSTED_PROXIES from the environment)
 */
import { createServer } from "node:http";
import path from "node:path";
import next from "next";
import { normalizeForwarded, parseTrustedProxies, type TrustedProxies } from "../server/http/forwarded";
import { lingerAfterEarlyAnswer } from "../server/http/linger";
import { startupAddresses } from "../lib/auth/origins";
import { DEMO_EMAIL, DEMO_PASSWORD } from "../lib/demo/account";
import { runShutdown } from "../server/shutdown";
import { STATIC_SECURITY_HEADERS, contentSecurityPolicy, newNonce } from "../server/http/security-headers";

const dev = process.argv[2] === "dev";
const root = path.resolve(import.meta.dirname, "..");
const port = Number(process.env.PORT ?? 3000);

let trusted: TrustedProxies;
try {
  trusted = parseTrustedProxies(process.env.TRUSTED_PROXIES);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

/** How long the rest of a refused body is read and thrown away before the connection closes. */
const UNREAD_BODY_GRACE_MS = 5_000;

const app = next({ dev, dir: root, port });
const handle = app.getRequestHandler();

await app.prepare();

const server = createServer((req, res) => {
  normalizeForwarded(req, trusted);
  for (const [name, value] of Object.entries(STATIC_SECURITY_HEADERS)) res.setHeader(name, value);
  if (!dev) {
    // Next.js takes the nonce for its scripts from the request's policy (development needs eval: no policy there).
    const policy = contentSecurityPolicy(newNonce());
    req.headers["content-security-policy"] = policy;
    res.setHeader("content-security-policy", policy);
  }
  lingerAfterEarlyAnswer(req, res, UNREAD_BODY_GRACE_MS);
  void handle(req, res);
});
if (dev) server.on("upgrade", (req, socket, head) => void app.getUpgradeHandler()(req, socket, head));

/**
 * The first request to each route loads its code; do that for the pages people open first
 * (signed out, they answer with the sign-in page or a redirect to it) before saying "ready",
 * so the first page a person opens is quick. Never holds the start-up for long.
 */
async function warmUp() {
  const paths = ["/login", "/", "/segments", "/profiles", "/api/v1/health"];
  await Promise.allSettled(
    paths.map((p) => fetch(`http://127.0.0.1:${port}${p}`, { redirect: "manual", signal: AbortSignal.timeout(10_000) }).then((r) => r.arrayBuffer())),
  );
}

server.listen(port, async () => {
  if (!dev) await warmUp();
  const demo = process.env.JUNCTION_DEMO === "1";
  const [first, ...others] = startupAddresses({ appUrl: process.env.APP_URL ?? `http://localhost:${port}`, port, demo });
  const proxies = process.env.TRUSTED_PROXIES ? ` (trusting forwarded headers from ${process.env.TRUSTED_PROXIES})` : "";
  console.log(`[junction] ready: open ${first}${others.length ? ` (or ${others.join(", ")})` : ""}${proxies}`);
  if (demo) console.log(`[junction] demo sign-in: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
});

let closing = false;
async function close() {
  if (closing) return;
  closing = true;
  // No new connections; requests in flight get up to 3 s to finish, then everything goes.
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  const cap = setTimeout(() => server.closeAllConnections(), 3_000);
  await closed;
  clearTimeout(cap);
  await app.close().catch(() => {});
  // Then the worker and the database pool, so the database can stop with nobody connected.
  await runShutdown((line) => console.log(`[junction] ${line}`));
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void close());
