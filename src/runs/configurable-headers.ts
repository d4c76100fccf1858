import type { IncomingHttpHeaders } from "node:http";

/** Credentials: never copied into a run's config (which is stored and shown by the API), whatever the patterns say. */
const NEVER_COPIED = new Set(["authorization", "proxy-authorization", "cookie", "x-api-key", "x-service-key", "x-tenant-id"]);

/** `http.configurable_headers` of langgraph.json. */
export interface HeaderPatterns {
  includes: RegExp[];
  excludes: RegExp[];
}

/** `*` is the only wildcard (as on the official server: no regex, no ReDoS). */
function toPattern(glob: string): RegExp {
  const escaped = glob.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`, "s");
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Reads `{includes|include, excludes|exclude}`; anything else means no header is copied. */
export function headerPatterns(setting: unknown): HeaderPatterns {
  if (typeof setting !== "object" || setting === null) return { includes: [], excludes: [] };
  const record = setting as Record<string, unknown>;
  return {
    includes: strings(record.includes ?? record.include).map(toPattern),
    excludes: strings(record.excludes ?? record.exclude).map(toPattern),
  };
}

/**
 * The request headers a run's `configurable` gets, as the official server picks them: the
 * `langsmith-trace` header, and headers the operator's include patterns name and no exclude
 * pattern does. Nothing by default; credentials never.
 */
export function configurableHeaders(headers: IncomingHttpHeaders, patterns: HeaderPatterns): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || NEVER_COPIED.has(name)) continue;
    const value = Array.isArray(raw) ? raw.join(", ") : raw;
    if (name === "langsmith-trace") {
      picked[name] = value;
      continue;
    }
    if (patterns.excludes.some((pattern) => pattern.test(name))) continue;
    if (patterns.includes.some((pattern) => pattern.test(name))) picked[name] = value;
  }
  return picked;
}
