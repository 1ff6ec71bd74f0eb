import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A real HTTP server on 127.0.0.1 standing in for Twilio, FCM, push services and webhook
 * receivers: it keeps every request exactly as it arrived (method, path, headers as sent,
 * raw body) and answers what the test tells it to — a status and body, a delay, silence,
 * or a dropped connection.
 */

export interface SunkRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Lower-cased names (Node's view). */
  headers: http.IncomingHttpHeaders;
  /** Names and values exactly as sent, in order. */
  rawHeaders: [string, string][];
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
  /** When the request's body had fully arrived (ms since the epoch). */
  at: number;
}

export interface SinkReply {
  status?: number;
  headers?: Record<string, string | string[]>;
  /** An object is sent as JSON. */
  body?: string | Buffer | object;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Send the headers, then the body this slowly: one byte per `trickleMs`. */
  trickleMs?: number;
  /** Never answer (the client's timeout has to end it). */
  hang?: boolean;
  /** Close the connection without an answer. */
  hangUp?: boolean;
}

export type SinkHandler = (request: SunkRequest) => SinkReply | Promise<SinkReply>;

export async function startHttpSink(options: { handler?: SinkHandler; maxBodyBytes?: number } = {}) {
  const requests: SunkRequest[] = [];
  const queued: SinkReply[] = [];
  let handler: SinkHandler = options.handler ?? (() => ({ status: 200, body: {} }));
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const rawHeaders: [string, string][] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
      const request: SunkRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, rawHeaders, body, text: body.toString("utf8"), at: Date.now() };
      requests.push(request);
      let reply: SinkReply;
      try {
        reply = size > maxBodyBytes ? { status: 413, body: { error: "too large" } } : (queued.shift() ?? (await handler(request)));
      } catch (error) {
        reply = { status: 500, body: { error: String(error) } };
      }
      if (reply.hangUp) return req.socket.destroy();
      if (reply.hang) return;
      if (reply.delayMs) await wait(reply.delayMs);
      if (res.destroyed) return;
      const isObject = reply.body !== undefined && typeof reply.body !== "string" && !Buffer.isBuffer(reply.body);
      const payload = reply.body === undefined ? Buffer.alloc(0) : isObject ? Buffer.from(JSON.stringify(reply.body)) : Buffer.from(reply.body as string | Buffer);
      const headers = { ...(isObject ? { "content-type": "application/json" } : {}), ...reply.headers };
      if (!reply.trickleMs) return res.writeHead(reply.status ?? 200, headers).end(payload);
      res.writeHead(reply.status ?? 200, headers);
      for (const byte of payload) {
        if (res.destroyed) return;
        res.write(Buffer.from([byte]));
        await wait(reply.trickleMs);
      }
      res.end();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    /** http://127.0.0.1:<port>, no trailing slash. */
    url: `http://127.0.0.1:${port}`,
    requests,
    /** The latest request (throws when there is none). */
    last(): SunkRequest {
      const request = requests.at(-1);
      if (!request) throw new Error("the sink has received no request");
      return request;
    },
    /** Answers every following request with `next` (replaces the previous handler). */
    handle(next: SinkHandler) {
      handler = next;
    },
    /** Answers the next requests with these replies, one each, before the handler again. */
    reply(...replies: SinkReply[]) {
      queued.push(...replies);
    },
    /** Forgets the requests received and the replies queued. */
    reset() {
      requests.length = 0;
      queued.length = 0;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type HttpSink = Awaited<ReturnType<typeof startHttpSink>>;
