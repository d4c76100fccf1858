import type { Config } from "./config/config.js";
import { buildApp } from "./http/app.js";
import { ConfigError } from "./config/errors.js";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts everything one process runs: storage, workers, HTTP. */
export async function startServer(config: Config): Promise<RunningServer> {
  const app = await buildApp({ config });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ConfigError(`port ${config.port} on ${config.host} is already in use; choose another with --port`);
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () => app.close(),
  };
}
