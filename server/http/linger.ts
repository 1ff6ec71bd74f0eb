import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A request answered before its body arrived in full — a refusal: too large, no key, not
 * signed in (server/http/body.ts stops reading at the limit). Closing such a connection
 * at once would reset it with the client's data unread, and a reset can destroy the
 * answer before the client reads it. So, as web servers do ("lingering close"): the answer
 * says `Connection: close` (the connection is not reused), the rest of the body is read
 * and thrown away as it arrives — never buffered — and the connection closes when the
 * body ends or after `graceMs`, whichever comes first.
 */
export function lingerAfterEarlyAnswer(req: IncomingMessage, res: ServerResponse, graceMs: number): void {
  const writeHead = res.writeHead;
  let armed = false;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!req.complete && !res.headersSent) {
      armed = true;
      res.setHeader("connection", "close");
      // Node would end and destroy the socket right after the answer; we close it below.
      req.socket.destroySoon = () => void req.socket.end();
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse["writeHead"];

  res.once("finish", () => {
    if (!armed) return;
    const socket = req.socket;
    // The body ended between the answer's head and its end: nothing is left to read.
    if (req.complete) return void socket.destroy();
    const timer = setTimeout(() => socket.destroy(), graceMs).unref();
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    // Whoever was reading the body (the app) has stopped: discard what still comes.
    req.removeAllListeners("readable");
    req.removeAllListeners("data");
    req.on("data", () => {});
    req.once("end", done);
    req.once("error", done);
    req.resume();
  });
}
