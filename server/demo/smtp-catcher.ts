import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { INBOX_KEEP, inboxWriter } from "@/server/demo/inbox-store";

/**
 * Demo mode's mail catcher: a real SMTP server on 127.0.0.1 that accepts every message (any
 * sign-in or none, up to `maxBytes`) and keeps it in the demo inbox on disk instead of
 * delivering it (server/demo/inbox-store.ts). The start command runs it beside the app in
 * demo mode only (scripts/run.ts) and points the demo workspace's email channel at it
 * (server/demo/inbox-channel.ts), so a newcomer's first test send arrives somewhere they can
 * see it: Messages → Demo inbox.
 */

export const CATCHER_HOST = "127.0.0.1";
/** Tried first, so the demo channel's port usually stays the same between starts; any free port otherwise. */
export const CATCHER_PREFERRED_PORT = 2525;
export const CATCHER_MAX_BYTES = 10 * 1024 * 1024;

export interface SmtpCatcher {
  host: string;
  port: number;
  dir: string;
  close: () => Promise<void>;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpCatcher(options: {
  /** Where caught messages go (`.data/inbox`). */
  dir: string;
  /** 0: any free port. Default: CATCHER_PREFERRED_PORT if free, else any. */
  preferredPort?: number;
  keep?: number;
  maxBytes?: number;
  log?: (line: string) => void;
}): Promise<SmtpCatcher> {
  const log = options.log ?? (() => {});
  const maxBytes = options.maxBytes ?? CATCHER_MAX_BYTES;
  const writer = inboxWriter(options.dir, { keep: options.keep ?? INBOX_KEEP });
  const server = new SMTPServer({
    banner: "Junction demo inbox: messages stay on this machine",
    logger: false,
    // Plain SMTP on loopback: nothing to encrypt against, and no certificate to make.
    disabledCommands: ["STARTTLS"],
    authOptional: true,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    size: maxBytes,
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? "demo" });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let length = 0;
      stream.on("data", (chunk: Buffer) => {
        // Past the limit nothing more is kept; smtp-server marks the stream and we refuse at the end.
        if (length + chunk.length <= maxBytes) chunks.push(chunk);
        length += chunk.length;
      });
      stream.on("error", (error) => callback(error));
      stream.on("end", () => {
        if (stream.sizeExceeded || length > maxBytes) {
          callback(smtpError(`Message too big for the demo inbox (at most ${Math.round(maxBytes / 1024 / 1024)} MB)`, 552));
          return;
        }
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        writer.save(Buffer.concat(chunks), envelope).then(
          (meta) => callback(null, `Caught ${meta.id} (Messages → Demo inbox)`),
          (error: unknown) => {
            log(`demo inbox: could not keep a message: ${error instanceof Error ? error.message : String(error)}`);
            callback(smtpError("The demo inbox could not keep this message; try again", 451));
          },
        );
      });
    },
  });

  const preferred = options.preferredPort ?? CATCHER_PREFERRED_PORT;
  let port: number;
  try {
    port = await listen(server, preferred);
  } catch (error) {
    // The preferred port is taken (another Junction, a mail tool): any free one will do.
    if (preferred === 0 || (error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    port = await listen(server, 0);
  }
  // From now on an error is one client's trouble (gone mid-conversation), not the catcher's end.
  server.on("error", (error: NodeJS.ErrnoException) => {
    if (!["ECONNRESET", "EPIPE", "ETIMEDOUT"].includes(error.code ?? "")) log(`demo inbox: ${error.message}`);
  });

  return {
    host: CATCHER_HOST,
    port,
    dir: options.dir,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/** Listens on 127.0.0.1:`port` (0: any free port); rejects when that fails (EADDRINUSE). */
function listen(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, CATCHER_HOST, () => {
      server.off("error", reject);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}
