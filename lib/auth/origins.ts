/**
 * The browser origins sign-in accepts. Always the configured APP_URL; in demo mode (the
 * README's command on someone's own machine) also every loopback name on the app's port,
 * since people type localhost, 127.0.0.1 or [::1] interchangeably and all of them reach
 * the same server.
 */
export function trustedOrigins({ appUrl, port, demo }: { appUrl: string; port: number; demo: boolean }): string[] {
  const app = new URL(appUrl);
  const origins = new Set([app.origin]);
  if (demo) {
    const appPort = Number(app.port || (app.protocol === "https:" ? 443 : 80));
    for (const p of new Set([port, appPort])) {
      for (const host of ["localhost", "127.0.0.1", "[::1]"]) origins.add(`http://${host}:${p}`);
    }
  }
  return [...origins];
}

/** The addresses to tell someone starting the app: APP_URL first, then the other loopback name. */
export function startupAddresses({ appUrl, port, demo }: { appUrl: string; port: number; demo: boolean }): string[] {
  const app = new URL(appUrl).origin;
  if (!demo) return [app];
  return [...new Set([app, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
}
