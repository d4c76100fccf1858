import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { Client } from "@langchain/langgraph-sdk";
import { resolveConfig, DEFAULT_OPTIONS, type Mode, type ServerOptions } from "../../src/config/config.js";
import { startServer, type RunningServer } from "../../src/server/start.js";

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

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "hookgraph-test-"));
}

/** Starts a real hookgraph server in this process on a random port, with the fixture graphs. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { env, ...overrides } = options;
  const dataDir = overrides.dataDir ?? tempDataDir();
  const config = resolveConfig(
    {
      ...DEFAULT_OPTIONS,
      // Graphs on the main thread: a worker thread costs seconds of start-up per server.
      // test/server/worker-pool.test.ts covers execution on worker threads.
      workers: 0,
      mode: "dev" as Mode,
      configPath: FIXTURE_CONFIG,
      port: 0,
      logLevel: "warn",
      // In-process servers do not watch the fixtures; test/cli/reload.test.ts covers reloading.
      reload: false,
      ...overrides,
      dataDir,
    },
    { ...process.env, ...env },
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
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
