import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lingerAfterEarlyAnswer } from "./linger";

/** A client uploading `mib` MiB that stops as soon as the answer is in. */
function upload(port: number, mib: number): Promise<{ status: number; connection: string | undefined; error?: string }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    let answered = false;
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/", agent: new http.Agent({ keepAlive: true }) });
    req.on("response", (res) => {
      answered = true;
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on("error", (error: NodeJS.ErrnoException) => !answered && resolve({ status: 0, connection: undefined, error: error.code }));
    const pump = () => {
      while (!answered && sent < mib) {
        sent += 1;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe("lingerAfterEarlyAnswer", () => {
  let server: http.Server;
  let port: number;
  let open = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      lingerAfterEarlyAnswer(req, res, 2_000);
      // Like the app: read 64 KB at most, then refuse.
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > 64 * 1024) {
          req.off("data", onData);
          req.pause();
          res.writeHead(413, { "content-type": "text/plain" }).end("too large");
        }
      };
      req.on("data", onData);
      req.on("end", () => !res.headersSent && res.end("ok"));
    });
    server.on("connection", (socket) => {
      open += 1;
      socket.on("close", () => (open -= 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("the client reads its 413, never a reset, and the connection is not reused", async () => {
    for (let i = 0; i < 20; i++) {
      const answer = await upload(port, 256);
      expect(answer).toEqual({ status: 413, connection: "close" });
    }
  });

  it("a request read to its end is answered as usual, on a connection that stays open", async () => {
    const answer = await upload(port, 0);
    expect(answer.status).toBe(200);
    expect(answer.connection).not.toBe("close");
  });

  it("connections of refused uploads are closed, at the latest after the grace period", async () => {
    await upload(port, 512);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(open).toBeLessThanOrEqual(1); // the keep-alive connection of the request above may stay
  });

  it("a body that ends between the answer's head and its end leaves no connection open, even if the client never closes", async () => {
    const slow = http.createServer((req, res) => {
      lingerAfterEarlyAnswer(req, res, 60_000);
      res.writeHead(200, { "content-type": "text/plain" }).flushHeaders(); // answered before the body is in
      req.resume();
      req.on("end", () => res.end("done"));
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const { port: slowPort } = slow.address() as AddressInfo;
    const client = net.connect({ host: "127.0.0.1", port: slowPort, allowHalfOpen: true });
    await new Promise((resolve) => client.once("connect", resolve));
    client.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345");
    await new Promise((resolve) => client.once("data", resolve)); // the head arrived
    client.write("67890"); // the body ends; the client never closes its side
    await new Promise((resolve) => setTimeout(resolve, 300));
    const open = await new Promise<number>((resolve) => slow.getConnections((_e, n) => resolve(n)));
    client.destroy();
    await new Promise((resolve) => slow.close(resolve));
    expect(open).toBe(0);
  });
});
