import { ConfigError } from "../config/errors.js";
import type { WebhooksFileConfig, WebhookUrlPolicyConfig } from "../config/langgraph-json.js";
import { isWebhookPayloadField, WEBHOOK_PAYLOAD_FIELDS, type WebhookPayloadField } from "./payload.js";
import { parseSigningSecret } from "./signer.js";
import type { WebhookUrlPolicy } from "./url-policy.js";

export type ServerMode = "dev" | "serve";

/** Everything the webhook engine needs, validated and with env templates resolved. Holds secrets: never log it. */
export interface WebhookSettings {
  /** `http.disable_webhooks`. */
  disabled: boolean;
  envPrefix: string;
  /** Custom request headers, templates resolved. */
  headers: Readonly<Record<string, string>>;
  urlPolicy: WebhookUrlPolicy;
  /** `null`: send every payload field. */
  allowedFields: readonly WebhookPayloadField[] | null;
  /** HMAC keys; the first signs alone, several sign side by side during a rotation. Empty: unsigned. */
  signingSecrets: readonly Buffer[];
  /** Seconds to wait before each retry (entry i precedes attempt i + 2). */
  retrySchedule: readonly number[];
  timeoutMs: number;
  connectTimeoutMs: number;
  maxConcurrencyPerOrigin: number;
  /** Bound on deliveries in flight across all origins. */
  maxInFlight: number;
}

export const DEFAULT_ENV_PREFIX = "LG_WEBHOOK_";
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400];
export const DEFAULT_MAX_URL_LENGTH = 4096;
const MAX_URL_LENGTH_CAP = 65536;
const DEFAULT_TIMEOUT_SECONDS = 30;
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
const MAX_TIMEOUT_SECONDS = 600;
const DEFAULT_MAX_CONCURRENCY_PER_ORIGIN = 10;
export const MAX_IN_FLIGHT = 256;
const MAX_RETRIES = 100;
const MAX_RETRY_DELAY_SECONDS = 7 * 24 * 3600;

const TOP_LEVEL_KEYS: readonly (keyof WebhooksFileConfig)[] = [
  "env_prefix",
  "headers",
  "url",
  "allowed_fields",
  "signing_secret",
  "retry",
  "timeout_seconds",
  "connect_timeout_seconds",
  "max_concurrency_per_origin",
];
const URL_KEYS: readonly (keyof WebhookUrlPolicyConfig)[] = ["require_https", "allowed_domains", "allowed_ports", "max_url_length", "disable_loopback", "disable_private_ips"];
/** Headers the sender owns or that would break HTTP/1.1 framing. */
const RESERVED_HEADERS = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "proxy-connection",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TEMPLATE = /\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, key: string, allowedKeys: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) throw new ConfigError(`${key} must be an object`);
  const unknown = Object.keys(value).filter((name) => !allowedKeys.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`${key} has unknown key(s) ${unknown.join(", ")} (allowed: ${allowedKeys.join(", ")})`);
  }
  return value;
}

function optionalBoolean(value: unknown, key: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean") throw new ConfigError(`${key} must be true or false`);
  return value;
}

function optionalNumber(value: unknown, key: string, rule: { min: number; max: number; integer?: boolean; exclusiveMin?: boolean }): number | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.exclusiveMin ? value > rule.min : value >= rule.min) &&
    value <= rule.max;
  if (!ok) {
    const kind = rule.integer ? "an integer" : "a number";
    const low = rule.exclusiveMin ? `greater than ${rule.min}` : `at least ${rule.min}`;
    throw new ConfigError(`${key} must be ${kind} ${low} and at most ${rule.max}`);
  }
  return value as number;
}

function nonEmptyArray(value: unknown, key: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(`${key} must be a non-empty list (omit the key for no restriction)`);
  }
  return value;
}

/** Replaces every `${{ env.VAR }}` in `value`; VAR must carry the prefix and be set (non-empty). */
function resolveTemplates(value: string, key: string, prefix: string, env: Record<string, string | undefined>): string {
  const resolved = value.replace(TEMPLATE, (_match, name: string) => {
    if (!name.startsWith(prefix)) {
      throw new ConfigError(`${key}: environment variable ${name} must start with the env_prefix "${prefix}"`);
    }
    const found = env[name];
    if (found === undefined || found === "") {
      throw new ConfigError(`${key}: environment variable ${name} is not set`);
    }
    return found;
  });
  // Checked on the template text, not the substituted secret, so no env value is quoted.
  if (value.replace(TEMPLATE, "").includes("${{")) {
    throw new ConfigError(`${key} has a malformed template; write \${{ env.${prefix}NAME }}`);
  }
  return resolved;
}

function resolveHeaders(value: unknown, prefix: string, env: Record<string, string | undefined>): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError(`webhooks.headers must be an object of header name to string value`);
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, raw] of Object.entries(value)) {
    const key = `webhooks.headers.${name}`;
    if (!HEADER_NAME.test(name)) throw new ConfigError(`${key}: the header name is not a valid HTTP token`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) throw new ConfigError(`${key} is set by hookgraph and cannot be configured`);
    if (seen.has(lower)) throw new ConfigError(`${key} is listed twice (header names are case-insensitive)`);
    seen.add(lower);
    if (typeof raw !== "string") throw new ConfigError(`${key} must be a string`);
    const resolved = resolveTemplates(raw, key, prefix, env);
    if (!HEADER_VALUE.test(resolved)) throw new ConfigError(`${key}: the value must not contain control characters`);
    headers[name] = resolved;
  }
  return headers;
}

function normaliseDomainEntry(entry: unknown, key: string): string {
  const rule = `${key} must be a host name like "example.com" or "*.example.com" (no scheme, port or path)`;
  if (typeof entry !== "string") throw new ConfigError(rule);
  const wildcard = entry.startsWith("*.");
  const body = wildcard ? entry.slice(2) : entry;
  if (body === "" || /[\s/\\@?#*:]/.test(body)) throw new ConfigError(rule);
  let host: string;
  try {
    host = new URL(`http://${body}/`).hostname;
  } catch {
    throw new ConfigError(rule);
  }
  host = host.endsWith(".") ? host.slice(0, -1) : host;
  if (host === "" || (wildcard && /^[0-9.]+$/.test(host))) throw new ConfigError(rule);
  return wildcard ? `*.${host}` : host;
}

function resolveUrlPolicy(value: unknown, mode: ServerMode): WebhookUrlPolicy {
  const url: Record<string, unknown> = value === undefined ? {} : requireObject(value, "webhooks.url", URL_KEYS);
  const isServe = mode === "serve";
  const domains =
    url.allowed_domains === undefined
      ? null
      : nonEmptyArray(url.allowed_domains, "webhooks.url.allowed_domains").map((entry, i) =>
          normaliseDomainEntry(entry, `webhooks.url.allowed_domains[${i}]`),
        );
  const ports =
    url.allowed_ports === undefined
      ? null
      : nonEmptyArray(url.allowed_ports, "webhooks.url.allowed_ports").map(
          (port, i) => optionalNumber(port, `webhooks.url.allowed_ports[${i}]`, { min: 1, max: 65535, integer: true }) as number,
        );
  return {
    requireHttps: optionalBoolean(url.require_https, "webhooks.url.require_https") ?? false,
    allowedDomains: domains,
    allowedPorts: ports,
    maxUrlLength:
      optionalNumber(url.max_url_length, "webhooks.url.max_url_length", { min: 16, max: MAX_URL_LENGTH_CAP, integer: true }) ??
      DEFAULT_MAX_URL_LENGTH,
    disableLoopback: optionalBoolean(url.disable_loopback, "webhooks.url.disable_loopback") ?? isServe,
    disablePrivateIps: optionalBoolean(url.disable_private_ips, "webhooks.url.disable_private_ips") ?? isServe,
  };
}

function resolveAllowedFields(value: unknown): WebhookPayloadField[] | null {
  if (value === undefined) return null;
  const fields = nonEmptyArray(value, "webhooks.allowed_fields");
  const result = new Set<WebhookPayloadField>();
  fields.forEach((field, i) => {
    if (typeof field !== "string" || !isWebhookPayloadField(field)) {
      throw new ConfigError(`webhooks.allowed_fields[${i}] is not a payload field (allowed: ${WEBHOOK_PAYLOAD_FIELDS.join(", ")})`);
    }
    result.add(field);
  });
  return [...result];
}

function resolveSecrets(value: unknown, prefix: string, env: Record<string, string | undefined>): Buffer[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ConfigError("webhooks.signing_secret must be a string or a non-empty list of strings");
  }
  return list.map((entry, i) => {
    const key = typeof value === "string" ? "webhooks.signing_secret" : `webhooks.signing_secret[${i}]`;
    if (typeof entry !== "string") throw new ConfigError(`${key} must be a string`);
    try {
      return parseSigningSecret(resolveTemplates(entry, key, prefix, env));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${key}: ${(error as Error).message}`);
    }
  });
}

function resolveRetrySchedule(value: unknown): number[] {
  if (value === undefined) return [...DEFAULT_RETRY_SCHEDULE];
  const retry = requireObject(value, "webhooks.retry", ["schedule"]);
  if (retry.schedule === undefined) return [...DEFAULT_RETRY_SCHEDULE];
  if (!Array.isArray(retry.schedule) || retry.schedule.length > MAX_RETRIES) {
    throw new ConfigError(`webhooks.retry.schedule must be a list of at most ${MAX_RETRIES} delays in seconds ([] disables retries)`);
  }
  return retry.schedule.map(
    (delay, i) => optionalNumber(delay, `webhooks.retry.schedule[${i}]`, { min: 0, max: MAX_RETRY_DELAY_SECONDS }) as number,
  );
}

/** Validates `webhooks` (and `http.disable_webhooks`) from langgraph.json; throws ConfigError naming the key and rule. */
export function resolveWebhookSettings(
  mode: ServerMode,
  file: WebhooksFileConfig,
  http: { disable_webhooks?: boolean },
  env: Record<string, string | undefined>,
): WebhookSettings {
  const raw = requireObject(file ?? {}, "webhooks", TOP_LEVEL_KEYS);
  const disabled = optionalBoolean(http?.disable_webhooks, "http.disable_webhooks") ?? false;
  const prefix = raw.env_prefix === undefined ? DEFAULT_ENV_PREFIX : raw.env_prefix;
  if (typeof prefix !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) {
    throw new ConfigError("webhooks.env_prefix must be a non-empty environment variable name prefix (letters, digits, _)");
  }
  const timeoutSeconds =
    optionalNumber(raw.timeout_seconds, "webhooks.timeout_seconds", { min: 0, max: MAX_TIMEOUT_SECONDS, exclusiveMin: true }) ??
    DEFAULT_TIMEOUT_SECONDS;
  const connectSeconds =
    optionalNumber(raw.connect_timeout_seconds, "webhooks.connect_timeout_seconds", {
      min: 0,
      max: MAX_TIMEOUT_SECONDS,
      exclusiveMin: true,
    }) ?? DEFAULT_CONNECT_TIMEOUT_SECONDS;
  return {
    disabled,
    envPrefix: prefix,
    headers: resolveHeaders(raw.headers, prefix, env),
    urlPolicy: resolveUrlPolicy(raw.url, mode),
    allowedFields: resolveAllowedFields(raw.allowed_fields),
    signingSecrets: resolveSecrets(raw.signing_secret, prefix, env),
    retrySchedule: resolveRetrySchedule(raw.retry),
    timeoutMs: Math.round(timeoutSeconds * 1000),
    // The whole-attempt timeout bounds the connect phase anyway.
    connectTimeoutMs: Math.round(Math.min(connectSeconds, timeoutSeconds) * 1000),
    maxConcurrencyPerOrigin:
      optionalNumber(raw.max_concurrency_per_origin, "webhooks.max_concurrency_per_origin", {
        min: 1,
        max: MAX_IN_FLIGHT,
        integer: true,
      }) ?? DEFAULT_MAX_CONCURRENCY_PER_ORIGIN,
    maxInFlight: MAX_IN_FLIGHT,
  };
}
