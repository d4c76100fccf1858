import { resolve } from "node:path";
import { readLangGraphJson, type LangGraphJson } from "./langgraph-json.js";
import { ConfigError } from "./errors.js";

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
  runTimeoutSeconds: number;
  /** Serve the dashboard at /ui. */
  ui: boolean;
  logLevel: string;
}

export interface Config extends ServerOptions {
  dataDir: string;
  project: LangGraphJson;
}

export const DEFAULT_OPTIONS: Omit<ServerOptions, "mode" | "configPath"> = {
  host: "127.0.0.1",
  port: 2024,
  jobs: 10,
  runTimeoutSeconds: 3600,
  ui: true,
  logLevel: "info",
};

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer (got ${value})`);
}

export function resolveConfig(options: ServerOptions, processEnv: NodeJS.ProcessEnv = process.env): Config {
  requirePositiveInteger("--jobs", options.jobs);
  requirePositiveInteger("--run-timeout", options.runTimeoutSeconds);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new ConfigError(`--port must be an integer from 0 to 65535 (got ${options.port})`);
  }
  const project = readLangGraphJson(options.configPath, processEnv);
  return {
    ...options,
    ui: options.ui && project.http.disable_ui !== true,
    dataDir: resolve(options.dataDir ?? resolve(project.configDir, ".hookgraph")),
    project,
  };
}
