import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { Client } from "@langchain/langgraph-sdk";
import { resolveConfig, DEFAULT_OPTIONS, type Mode, type ServerOptions } from "../../src/config/config.js";
import { startServer, type RunningServer } from "../../src/server/start.js";
import { sharedBackendFor, testBackend } from "./backend.js";
import { tempDataDir } from "./temp.js";

export const FIXTURE_CONFIG = fileURLToPath(new URL("../fixtures/langgraph.json", import.meta.url));

export interface TestServer extends RunningServer {
  client: Client;
  dataDir: string;
  /** Every log line the server wrote (JSON text), kept instead of printed. */
  logs(): string[];
  /** Stops the server and removes its data directory. */
  dispose(): Promise<void>;
}

export interface TestServerOptions extends Partial<ServerOptions> {
  env?: NodeJS.ProcessEnv;
}

export { tempDataDir } from "./temp.js";

/**
 * Starts a real hookgraph server in this process on a random port, with the fixture graphs. On the
 * PostgreSQL backend (HOOKGRAPH_TEST_BACKEND=postgres: the second pass of `npm test`), the data dir
 * stands for a database of its own and a Redis key prefix: servers started on the same data dir
 * share them, as a restarted server shares its data dir.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { env, ...overrides } = options;
  const dataDir = overrides.dataDir ?? tempDataDir();
  const shared = testBackend() === "postgres" && overrides.databaseUri === undefined ? await sharedBackendFor(dataDir) : undefined;
  const config = resolveConfig(
    {
      ...DEFAULT_OPTIONS,
      // Graphs on the main thread: a worker thread costs seconds of start-up per server.
      // test/server/worker-pool.test.ts covers execution on worker threads.
      workers: 0,
      // Tests stop servers at once; the queue tests that drain pass their own grace.
      shutdownGraceSeconds: 0,
      mode: "dev" as Mode,
      configPath: FIXTURE_CONFIG,
      port: 0,
      logLevel: "warn",
      // In-process servers do not watch the fixtures; test/cli/reload.test.ts covers reloading.
      reload: false,
      ...(shared ? { databaseUri: shared.databaseUri, redisUri: shared.redisUri } : {}),
      ...overrides,
      dataDir,
    },
    { ...process.env, ...(shared ? { REDIS_KEY_PREFIX: shared.redisPrefix } : {}), ...env },
  );
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const server = await startServer(config, { logStream });
  const client = new Client({ apiUrl: server.url });
  return {
    ...server,
    client,
    dataDir,
    logs: () => lines,
    dispose: async () => {
      await server.close();
      if (!overrides.dataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        await shared?.drop();
      }
    },
  };
}
