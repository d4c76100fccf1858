import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@langchain/langgraph-sdk";
import { resolveConfig, DEFAULT_OPTIONS, type Mode, type ServerOptions } from "../../src/config/config.js";
import { startServer, type RunningServer } from "../../src/server/start.js";

export const FIXTURE_CONFIG = fileURLToPath(new URL("../fixtures/langgraph.json", import.meta.url));

export interface TestServer extends RunningServer {
  client: Client;
  dataDir: string;
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
      mode: "dev" as Mode,
      configPath: FIXTURE_CONFIG,
      port: 0,
      logLevel: "warn",
      ...overrides,
      dataDir,
    },
    { ...process.env, ...env },
  );
  const server = await startServer(config);
  const client = new Client({ apiUrl: server.url });
  return {
    ...server,
    client,
    dataDir,
    dispose: async () => {
      await server.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
