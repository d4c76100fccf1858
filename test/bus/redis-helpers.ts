import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import type { BusLogger } from "../../src/bus/redis/logging.js";

/** A logger that keeps what it is given, so tests can look at (and for secrets in) the lines. */
export class RecordingLogger implements BusLogger {
  readonly lines: { level: "error" | "warn"; obj: object; msg: string }[] = [];

  error(obj: object, msg: string): void {
    this.lines.push({ level: "error", obj, msg });
  }

  warn(obj: object, msg: string): void {
    this.lines.push({ level: "warn", obj, msg });
  }

  text(): string {
    return this.lines.map((line) => `${line.level} ${line.msg} ${JSON.stringify(line.obj)}`).join("\n");
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** Resolves once `check` does, trying every 20 ms until `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * A redis-server of the test's own, without persistence, on a fixed port so that it can be
 * killed and started again at the same address (the machine's shared Redis is never touched).
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly password: string,
  ) {}

  static async start(password: string): Promise<PrivateRedis> {
    const server = new PrivateRedis(await freePort(), password);
    await server.start();
    return server;
  }

  get uri(): string {
    return `redis://:${this.password}@127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", this.password], {
      stdio: "ignore",
    });
    this.child = child;
    await eventually(async () => {
      const probe = new Redis(this.uri, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on("error", () => {});
      try {
        await probe.connect();
        await probe.ping();
      } finally {
        probe.disconnect();
      }
    });
  }

  /** SIGKILL: the server vanishes mid-whatever, with everything it held. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = undefined;
    child.kill("SIGKILL");
    await once(child, "exit");
  }
}
