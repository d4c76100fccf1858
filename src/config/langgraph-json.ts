import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "./errors.js";

/** A graph named in langgraph.json: `"agent": "./src/agent.ts:graph"`. */
export interface GraphSpec {
  graphId: string;
  /** Absolute path of the module. */
  modulePath: string;
  /** Export name; `default` when the spec names none. */
  exportName: string;
}

export interface WebhookUrlPolicyConfig {
  require_https?: boolean;
  allowed_domains?: string[];
  allowed_ports?: number[];
  max_url_length?: number;
  disable_loopback?: boolean;
  disable_private_ips?: boolean;
}

export interface WebhooksFileConfig {
  env_prefix?: string;
  headers?: Record<string, string>;
  url?: WebhookUrlPolicyConfig;
  allowed_fields?: string[];
  signing_secret?: string | string[];
  retry?: { schedule?: number[] };
  timeout_seconds?: number;
  connect_timeout_seconds?: number;
  max_concurrency_per_origin?: number;
}

export interface HttpFileConfig {
  disable_webhooks?: boolean;
  disable_ui?: boolean;
  /** See `resolveCorsPolicy`. */
  cors?: unknown;
  [key: string]: unknown;
}

export interface LangGraphJson {
  /** Directory holding langgraph.json: graph paths and `env` files are relative to it. */
  configDir: string;
  graphs: GraphSpec[];
  /** Environment values from the `env` key (a file path or an object). */
  env: Record<string, string>;
  /** The dotenv file `env` names, if it names one (absolute). */
  envFile?: string;
  http: HttpFileConfig;
  webhooks: WebhooksFileConfig;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseGraphSpec(graphId: string, spec: unknown, configDir: string): GraphSpec {
  const path = isPlainObject(spec) ? spec.path : spec;
  if (typeof path !== "string" || path.length === 0) {
    throw new ConfigError(`graphs.${graphId} must be a string "./file.ts:export" (or {"path": ...})`);
  }
  const colon = path.lastIndexOf(":");
  const hasExport = colon > 1; // keep Windows drive letters ("C:\...") intact
  const file = hasExport ? path.slice(0, colon) : path;
  const exportName = hasExport ? path.slice(colon + 1) : "default";
  return { graphId, modulePath: resolve(configDir, file), exportName };
}

/** Parses a dotenv file: KEY=value lines, `#` comments, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    values[match[1]] = value;
  }
  return values;
}

function parseEnv(env: unknown, configDir: string): Record<string, string> {
  if (env === undefined) return {};
  if (typeof env === "string") {
    const file = resolve(configDir, env);
    if (!existsSync(file)) throw new ConfigError(`env file ${env} (from langgraph.json "env") does not exist`);
    return parseDotenv(readFileSync(file, "utf8"));
  }
  if (isPlainObject(env)) {
    return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value)]));
  }
  throw new ConfigError(`"env" in langgraph.json must be a file path or an object`);
}

function parseJsonEnv(name: string, source: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const raw = source[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} must be a JSON object`);
  }
  if (!isPlainObject(parsed)) throw new ConfigError(`${name} must be a JSON object`);
  return parsed;
}

/**
 * Reads langgraph.json. `LANGGRAPH_HTTP` and `LANGGRAPH_WEBHOOKS` (JSON) override the file's
 * `http` and `webhooks` keys, key by key, as the official server does for containers.
 */
export function readLangGraphJson(configPath: string, processEnv: NodeJS.ProcessEnv = process.env): LangGraphJson {
  const file = resolve(configPath);
  if (!existsSync(file)) throw new ConfigError(`config file ${configPath} does not exist (use --config PATH)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`config file ${configPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(raw)) throw new ConfigError(`config file ${configPath} must hold a JSON object`);
  const configDir = dirname(file);
  if (!isPlainObject(raw.graphs) || Object.keys(raw.graphs).length === 0) {
    throw new ConfigError(`"graphs" in ${configPath} must name at least one graph`);
  }
  const graphs = Object.entries(raw.graphs).map(([id, spec]) => parseGraphSpec(id, spec, configDir));
  const http = { ...(isPlainObject(raw.http) ? raw.http : {}), ...parseJsonEnv("LANGGRAPH_HTTP", processEnv) };
  const webhooks = {
    ...(isPlainObject(raw.webhooks) ? raw.webhooks : {}),
    ...parseJsonEnv("LANGGRAPH_WEBHOOKS", processEnv),
  };
  return {
    configDir,
    graphs,
    env: parseEnv(raw.env, configDir),
    ...(typeof raw.env === "string" ? { envFile: resolve(configDir, raw.env) } : {}),
    http: http as HttpFileConfig,
    webhooks: webhooks as WebhooksFileConfig,
  };
}
