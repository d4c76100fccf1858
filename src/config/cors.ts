import { ConfigError } from "./errors.js";
import type { Mode } from "./config.js";

/** Which browser origins may call the API, and what they may send and read (`http.cors`). */
export interface CorsPolicy {
  /** Any origin ("*" in `allow_origins`, or the dev default). */
  anyOrigin: boolean;
  origins: ReadonlySet<string>;
  /** `allow_origin_regex`, matched against the whole origin. */
  originPattern?: RegExp;
  methods: readonly string[];
  /** Undefined: a preflight may ask for any request header. */
  headers?: readonly string[];
  credentials: boolean;
  exposeHeaders: readonly string[];
  maxAgeSeconds?: number;
}

const KEYS = ["allow_origins", "allow_origin_regex", "allow_methods", "allow_headers", "allow_credentials", "expose_headers", "max_age"];
const DEFAULT_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"];
// What the SDK reads from responses: run locations and the pagination of searches.
const ALWAYS_EXPOSED = ["Content-Location", "Location", "X-Pagination-Next", "X-Pagination-Total"];

function stringList(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item.length === 0)) {
    throw new ConfigError(`http.cors.${key} must be a list of non-empty strings`);
  }
  return value as string[];
}

/**
 * `http.cors` from langgraph.json (or `LANGGRAPH_HTTP`), with the official server's keys. Without
 * it, `dev` lets any origin in (LangGraph Studio and local web apps call the API from their own
 * origin, as with the official dev server) and `serve` sends no CORS headers at all: the API has no
 * login, so a production server opens to browsers only when configured to.
 */
export function resolveCorsPolicy(raw: unknown, mode: Mode): CorsPolicy | undefined {
  if (raw === undefined || raw === null) {
    return mode === "dev" ? { anyOrigin: true, origins: new Set(), methods: DEFAULT_METHODS, credentials: false, exposeHeaders: ALWAYS_EXPOSED } : undefined;
  }
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError("http.cors must be an object");
  const cors = raw as Record<string, unknown>;
  const unknown = Object.keys(cors).filter((key) => !KEYS.includes(key));
  if (unknown.length > 0) throw new ConfigError(`http.cors has unknown key ${unknown[0]} (known: ${KEYS.join(", ")})`);
  const origins = stringList(cors.allow_origins, "allow_origins") ?? [];
  let originPattern: RegExp | undefined;
  if (cors.allow_origin_regex !== undefined) {
    if (typeof cors.allow_origin_regex !== "string") throw new ConfigError("http.cors.allow_origin_regex must be a string");
    try {
      originPattern = new RegExp(`^(?:${cors.allow_origin_regex})$`);
    } catch (error) {
      throw new ConfigError(`http.cors.allow_origin_regex is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (cors.allow_credentials !== undefined && typeof cors.allow_credentials !== "boolean") {
    throw new ConfigError("http.cors.allow_credentials must be true or false");
  }
  const maxAge = cors.max_age;
  if (maxAge !== undefined && (typeof maxAge !== "number" || !Number.isInteger(maxAge) || maxAge < 0)) {
    throw new ConfigError("http.cors.max_age must be a whole number of seconds, 0 or more");
  }
  const exposed = stringList(cors.expose_headers, "expose_headers") ?? [];
  const lowerExposed = new Set(exposed.map((name) => name.toLowerCase()));
  return {
    anyOrigin: origins.includes("*"),
    origins: new Set(origins.filter((origin) => origin !== "*")),
    originPattern,
    methods: (stringList(cors.allow_methods, "allow_methods") ?? DEFAULT_METHODS).map((method) => method.toUpperCase()),
    headers: stringList(cors.allow_headers, "allow_headers"),
    credentials: cors.allow_credentials === true,
    exposeHeaders: [...exposed, ...ALWAYS_EXPOSED.filter((name) => !lowerExposed.has(name.toLowerCase()))],
    maxAgeSeconds: maxAge as number | undefined,
  };
}
