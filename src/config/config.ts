import { resolve } from "node:path";
import { availableParallelism } from "node:os";
import { readLangGraphJson, type LangGraphJson } from "./langgraph-json.js";
import { ConfigError } from "./errors.js";
import { resolveCorsPolicy, type CorsPolicy } from "./cors.js";
import type { DatabaseLocation } from "../storage/backend.js";

/** `dev`: local development defaults (pretty logs, permissive webhook targets); `serve`: production defaults. */
export type Mode = "dev" | "serve";

/**
 * What this process does: `all` serves the API and executes the queue (runs, webhooks, crons);
 * `api` only serves the API; `worker` only executes the queue (HTTP: `/ok` and `/metrics`).
 */
export type Role = "all" | "api" | "worker";

export interface ServerOptions {
  mode: Mode;
  configPath: string;
  host: string;
  port: number;
  role: Role;
  /** Where the embedded database lives; defaults to `.hookgraph/` beside langgraph.json. */
  dataDir?: string;
  /** PostgreSQL for all durable state (DATABASE_URI); unset: the embedded SQLite database. */
  databaseUri?: string;
  /** Redis for what crosses processes (REDIS_URI); required with a PostgreSQL database. */
  redisUri?: string;
  /** Seconds a claimed run stays leased without a heartbeat before another process may take it back. */
  leaseSeconds: number;
  /** Seconds a stopping process lets its running runs finish before handing them back. */
  shutdownGraceSeconds: number;
  /** Runs executed at once by this process. */
  jobs: number;
  /** Graph worker threads executing runs; 0 executes them on the main thread. */
  workers: number;
  runTimeoutSeconds: number;
  /** Interval of SSE heartbeat comments and wait keep-alives (the Python server's 5 s). */
  sseHeartbeatMs: number;
  /** Serve the dashboard at /ui. */
  ui: boolean;
  /** `dev`: reload the graphs when their files change (the other commands never reload). */
  reload: boolean;
  logLevel: string;
}

export interface Config extends ServerOptions {
  dataDir: string;
  /** Where durable state lives. */
  database: DatabaseLocation;
  /** Set with a PostgreSQL database: the bus between processes. */
  redis?: { uri: string; keyPrefix: string };
  project: LangGraphJson;
  /** Undefined: no CORS headers (`serve` without `http.cors`). */
  cors?: CorsPolicy;
}

export const DEFAULT_OPTIONS: Omit<ServerOptions, "mode" | "configPath"> = {
  role: "all",
  host: "127.0.0.1",
  port: 2024,
  jobs: 10,
  // The main thread serves HTTP and storage; the other cores execute graphs.
  workers: Math.max(1, availableParallelism() - 1),
  runTimeoutSeconds: 3600,
  leaseSeconds: 30,
  shutdownGraceSeconds: 30,
  sseHeartbeatMs: 5000,
  ui: true,
  reload: true,
  logLevel: "info",
};

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer (got ${value})`);
}

/** `postgres://` or `postgresql://`, else a ConfigError naming where the value came from. */
function checkUri(name: string, value: string, schemes: string[]): string {
  const scheme = URL.canParse(value) ? new URL(value).protocol.replace(/:$/, "") : undefined;
  if (!scheme || !schemes.includes(scheme)) {
    throw new ConfigError(`${name} must be a ${schemes.map((s) => `${s}://`).join(" or ")} URI`);
  }
  return value;
}

export function resolveConfig(options: ServerOptions, processEnv: NodeJS.ProcessEnv = process.env): Config {
  requirePositiveInteger("--jobs", options.jobs);
  requirePositiveInteger("--run-timeout", options.runTimeoutSeconds);
  requirePositiveInteger("--lease-seconds", options.leaseSeconds);
  if (!Number.isInteger(options.shutdownGraceSeconds) || options.shutdownGraceSeconds < 0) {
    throw new ConfigError(`--shutdown-grace must be an integer of 0 or more seconds (got ${options.shutdownGraceSeconds})`);
  }
  if (!Number.isInteger(options.workers) || options.workers < 0) {
    throw new ConfigError(`--workers must be an integer of 0 or more (got ${options.workers})`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new ConfigError(`--port must be an integer from 0 to 65535 (got ${options.port})`);
  }
  const project = readLangGraphJson(options.configPath, processEnv);
  // The flag, then the environment, then langgraph.json's "env" (as the official server reads them).
  const fromEnv = (name: string) => processEnv[name] || project.env[name] || undefined;
  const databaseUri = options.databaseUri ?? fromEnv("DATABASE_URI");
  const redisUri = options.redisUri ?? fromEnv("REDIS_URI");
  const dataDir = resolve(options.dataDir ?? resolve(project.configDir, ".hookgraph"));
  let database: DatabaseLocation = { kind: "sqlite", dataDir };
  if (databaseUri) {
    database = { kind: "postgres", uri: checkUri("DATABASE_URI (--database-uri)", databaseUri, ["postgres", "postgresql"]) };
    // Without a bus, a cancel or a run's events would not reach the other processes.
    if (!redisUri) {
      throw new ConfigError("DATABASE_URI is set but REDIS_URI is not: processes sharing PostgreSQL need Redis (set REDIS_URI or --redis-uri)");
    }
  } else if (options.role !== "all") {
    throw new ConfigError(
      `hookgraph ${options.role === "api" ? "api" : "worker"} shares the work with other processes: set DATABASE_URI and REDIS_URI (the embedded database has one process)`,
    );
  }
  return {
    ...options,
    databaseUri,
    redisUri,
    ui: options.ui && project.http.disable_ui !== true,
    reload: options.reload && options.mode === "dev",
    dataDir,
    database,
    redis: databaseUri && redisUri
      ? { uri: checkUri("REDIS_URI (--redis-uri)", redisUri, ["redis", "rediss"]), keyPrefix: fromEnv("REDIS_KEY_PREFIX") ?? "hookgraph:" }
      : undefined,
    project,
    cors: resolveCorsPolicy(project.http.cors, options.mode),
  };
}
