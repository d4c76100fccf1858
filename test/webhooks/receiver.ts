import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { spawn } from "node:child_process";
import { connect, type AddressInfo, type Socket } from "node:net";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the body had arrived. */
  receivedAt: number;
}

export interface Receiver {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: ReceivedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 (port 0 unless given), recording what it receives. */
export async function startReceiver(handler: Handler = (_req, res) => res.end("ok"), port = 0): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, receivedAt: Date.now() });
      handler(Object.assign(req, { body }), res);
      for (const wake of waiters.splice(0)) wake();
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    port: address.port,
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    connections: () => connections,
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} webhook request(s) within ${timeoutMs} ms, got ${requests.length}`)),
          timeoutMs,
        );
        const check = () => {
          if (requests.length >= count) {
            clearTimeout(timer);
            resolve(requests.slice(0, count));
          } else {
            waiters.push(check);
          }
        };
        check();
      }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Never completes a TCP handshake (see `startUnansweredPort`). */
export interface UnansweredPort {
  port: number;
  close(): void;
}

/**
 * A loopback port where connecting hangs, as a host that drops packets does: a child process
 * listens with a backlog of one and then blocks its event loop, so it never accepts; two
 * connections fill the kernel's accept queue, after which the kernel ignores new SYNs.
 */
export async function startUnansweredPort(): Promise<UnansweredPort> {
  const listener = `const server = require("node:net").createServer();
server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () =>
  process.stdout.write(server.address().port + "\\n", () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)));`;
  const child = spawn(process.execPath, ["-e", listener], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(Number(String(chunk).trim())));
    child.once("exit", (code) => reject(new Error(`the listener exited (code ${code})`)));
  });
  const fillers = await Promise.all(
    [1, 2].map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(port, "127.0.0.1", () => resolve(socket));
          socket.once("error", reject);
        }),
    ),
  );
  return {
    port,
    close() {
      for (const socket of fillers) socket.destroy();
      child.kill("SIGKILL");
    },
  };
}
