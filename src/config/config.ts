import { resolve } from "node:path";
import { availableParallelism } from "node:os";
import { readLangGraphJson, type LangGraphJson } from "./langgraph-json.js";
import { ConfigError } from "./errors.js";
import { resolveCorsPolicy, type CorsPolicy } from "./cors.js";

/** `dev`: local development defaults (pretty logs, permissive webhook targets); `serve`: production defaults. */
export type Mode = "dev" | "serve";

export interface ServerOptions {
  mode: Mode;
  configPath: string;
  host: string;
  port: number;
  /** Where the embedded database lives; defaults to `.hookgraph/` beside langgraph.json. */
  dataDir?: string;
  /** Runs executed at once by this process. */
  jobs: number;
  /** Graph worker threads executing runs; 0 executes them on the main thread. */
  workers: number;
  runTimeoutSeconds: number;
  /** Interval of SSE heartbeat comments and wait keep-alives (the Python server's 5 s). */
  sseHeartbeatMs: number;
  /** Serve the dashboard at /ui. */
  ui: boolean;
  /** `dev`: reload the graphs when their files change (`serve` never reloads). */
  reload: boolean;
  logLevel: string;
}

export interface Config extends ServerOptions {
  dataDir: string;
  project: LangGraphJson;
  /** Undefined: no CORS headers (`serve` without `http.cors`). */
  cors?: CorsPolicy;
}

export const DEFAULT_OPTIONS: Omit<ServerOptions, "mode" | "configPath"> = {
  host: "127.0.0.1",
  port: 2024,
  jobs: 10,
  // The main thread serves HTTP and storage; the other cores execute graphs.
  workers: Math.max(1, availableParallelism() - 1),
  runTimeoutSeconds: 3600,
  sseHeartbeatMs: 5000,
  ui: true,
  reload: true,
  logLevel: "info",
};

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer (got ${value})`);
}

export function resolveConfig(options: ServerOptions, processEnv: NodeJS.ProcessEnv = process.env): Config {
  requirePositiveInteger("--jobs", options.jobs);
  requirePositiveInteger("--run-timeout", options.runTimeoutSeconds);
  if (!Number.isInteger(options.workers) || options.workers < 0) {
    throw new ConfigError(`--workers must be an integer of 0 or more (got ${options.workers})`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new ConfigError(`--port must be an integer from 0 to 65535 (got ${options.port})`);
  }
  const project = readLangGraphJson(options.configPath, processEnv);
  return {
    ...options,
    ui: options.ui && project.http.disable_ui !== true,
    reload: options.reload && options.mode === "dev",
    dataDir: resolve(options.dataDir ?? resolve(project.configDir, ".hookgraph")),
    project,
    cors: resolveCorsPolicy(project.http.cors, options.mode),
  };
}
