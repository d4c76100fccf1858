import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import type { WebhooksFileConfig } from "../../src/config/langgraph-json.js";
import { DEFAULT_RETRY_SCHEDULE, resolveWebhookSettings } from "../../src/webhooks/config.js";

const resolve = (file: WebhooksFileConfig, env: Record<string, string | undefined> = {}) =>
  resolveWebhookSettings("serve", file, {}, env);

/** Runs `fn`, expecting a ConfigError; returns its message. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("resolveWebhookSettings defaults", () => {
  it("fills every default", () => {
    const s = resolveWebhookSettings("dev", {}, {}, {});
    expect(s).toMatchObject({
      disabled: false,
      envPrefix: "LG_WEBHOOK_",
      headers: {},
      allowedFields: null,
      signingSecrets: [],
      retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
      timeoutMs: 30_000,
      connectTimeoutMs: 5_000,
      maxConcurrencyPerOrigin: 10,
      maxInFlight: 256,
    });
    expect(s.urlPolicy).toEqual({
      requireHttps: false,
      allowedDomains: null,
      allowedPorts: null,
      maxUrlLength: 4096,
      disableLoopback: false,
      disablePrivateIps: false,
    });
    expect(DEFAULT_RETRY_SCHEDULE).toEqual(s.retrySchedule);
  });

  it("serve mode refuses loopback and private targets unless the url block says otherwise", () => {
    expect(resolve({}).urlPolicy).toMatchObject({ disableLoopback: true, disablePrivateIps: true, requireHttps: false });
    expect(resolve({ url: { disable_private_ips: false } }).urlPolicy).toMatchObject({
      disableLoopback: true,
      disablePrivateIps: false,
    });
    expect(resolveWebhookSettings("dev", { url: { disable_loopback: true } }, {}, {}).urlPolicy).toMatchObject({
      disableLoopback: true,
      disablePrivateIps: false,
    });
  });

  it("takes disabled from http.disable_webhooks", () => {
    expect(resolveWebhookSettings("serve", {}, { disable_webhooks: true }, {}).disabled).toBe(true);
    expect(configError(() => resolveWebhookSettings("serve", {}, { disable_webhooks: "yes" as never }, {}))).toMatch(
      /http\.disable_webhooks must be true or false/,
    );
  });

  it("converts numbers and normalises lists", () => {
    const s = resolve({
      timeout_seconds: 2.5,
      connect_timeout_seconds: 10,
      max_concurrency_per_origin: 3,
      retry: { schedule: [0, 0.5, 60] },
      allowed_fields: ["run_id", "status", "run_id"],
      url: { allowed_domains: ["Hooks.Example.COM.", "*.Partner.io", "bücher.example"], allowed_ports: [443] },
    });
    expect(s.timeoutMs).toBe(2500);
    expect(s.connectTimeoutMs).toBe(2500); // capped by the whole-attempt timeout
    expect(s.maxConcurrencyPerOrigin).toBe(3);
    expect(s.retrySchedule).toEqual([0, 0.5, 60]);
    expect(s.allowedFields).toEqual(["run_id", "status"]);
    expect(s.urlPolicy.allowedDomains).toEqual(["hooks.example.com", "*.partner.io", "xn--bcher-kva.example"]);
    expect(resolve({ retry: { schedule: [] } }).retrySchedule).toEqual([]);
  });
});

describe("header templates", () => {
  it("resolves ${{ env.VAR }} at start-up, several per value, with loose spacing", () => {
    const s = resolve(
      { headers: { Authorization: "Bearer ${{ env.LG_WEBHOOK_TOKEN }}", "X-Pair": "${{env.LG_WEBHOOK_A}}:${{  env.LG_WEBHOOK_B }}", "X-Plain": "v" } },
      { LG_WEBHOOK_TOKEN: "tok123", LG_WEBHOOK_A: "a", LG_WEBHOOK_B: "b" },
    );
    expect(s.headers).toEqual({ Authorization: "Bearer tok123", "X-Pair": "a:b", "X-Plain": "v" });
  });

  it("honours a custom env_prefix", () => {
    const s = resolve({ env_prefix: "HOOK_", headers: { "X-Key": "${{ env.HOOK_KEY }}" } }, { HOOK_KEY: "k" });
    expect(s.headers["X-Key"]).toBe("k");
    expect(configError(() => resolve({ env_prefix: "HOOK_", headers: { "X-Key": "${{ env.LG_WEBHOOK_KEY }}" } }, { LG_WEBHOOK_KEY: "k" }))).toMatch(
      /must start with the env_prefix "HOOK_"/,
    );
  });

  it("fails when the variable lacks the prefix, naming key and rule but not the value", () => {
    const message = configError(() => resolve({ headers: { Authorization: "Bearer ${{ env.SECRET_TOKEN }}" } }, { SECRET_TOKEN: "hunter2" }));
    expect(message).toBe('webhooks.headers.Authorization: environment variable SECRET_TOKEN must start with the env_prefix "LG_WEBHOOK_"');
    expect(message).not.toContain("hunter2");
  });

  it("fails when the variable is unset or empty", () => {
    expect(configError(() => resolve({ headers: { Authorization: "${{ env.LG_WEBHOOK_TOKEN }}" } }, {}))).toBe(
      "webhooks.headers.Authorization: environment variable LG_WEBHOOK_TOKEN is not set",
    );
    expect(configError(() => resolve({ headers: { Authorization: "${{ env.LG_WEBHOOK_TOKEN }}" } }, { LG_WEBHOOK_TOKEN: "" }))).toMatch(/is not set/);
  });

  it("rejects malformed templates, reserved or invalid names, and control characters", () => {
    expect(configError(() => resolve({ headers: { "X-A": "${{ LG_WEBHOOK_X }}" } }))).toMatch(/webhooks\.headers\.X-A has a malformed template/);
    expect(configError(() => resolve({ headers: { "Content-Type": "text/plain" } }))).toMatch(/Content-Type is set by hookgraph/);
    expect(configError(() => resolve({ headers: { "webhook-signature": "x" } }))).toMatch(/is set by hookgraph/);
    expect(configError(() => resolve({ headers: { "Bad Name": "x" } }))).toMatch(/not a valid HTTP token/);
    expect(configError(() => resolve({ headers: { "X-A": "a", "x-a": "b" } }))).toMatch(/listed twice/);
    expect(configError(() => resolve({ headers: { "X-A": 1 as never } }))).toMatch(/X-A must be a string/);
    expect(
      configError(() => resolve({ headers: { "X-A": "${{ env.LG_WEBHOOK_V }}" } }, { LG_WEBHOOK_V: "a\r\nInjected: 1" })),
    ).toMatch(/must not contain control characters/);
  });
});

describe("signing_secret", () => {
  it("accepts one secret or a list, with templates", () => {
    const one = resolve({ signing_secret: "whsec_c2VjcmV0LWtleS1ieXRlcw==" });
    expect(one.signingSecrets.map((b) => b.toString())).toEqual(["secret-key-bytes"]);
    const two = resolve({ signing_secret: ["${{ env.LG_WEBHOOK_NEW }}", "old-raw-secret"] }, { LG_WEBHOOK_NEW: "whsec_bmV3" });
    expect(two.signingSecrets.map((b) => b.toString())).toEqual(["new", "old-raw-secret"]);
  });

  it("applies the prefix rule and reports bad secrets by key without quoting them", () => {
    expect(configError(() => resolve({ signing_secret: "${{ env.MY_SECRET }}" }, { MY_SECRET: "x" }))).toMatch(
      /^webhooks\.signing_secret: environment variable MY_SECRET must start with/,
    );
    const message = configError(() => resolve({ signing_secret: ["ok-secret", "whsec_not base64!"] }));
    expect(message).toMatch(/^webhooks\.signing_secret\[1\]: .*base64/);
    expect(message).not.toContain("not base64!");
    expect(configError(() => resolve({ signing_secret: [] }))).toMatch(/non-empty list/);
    expect(configError(() => resolve({ signing_secret: "" }))).toMatch(/must not be empty/);
  });
});

describe("validation of every key", () => {
  it.each<[string, WebhooksFileConfig, RegExp]>([
    ["unknown top-level key", { signing_secrets: "x" } as never, /webhooks has unknown key\(s\) signing_secrets/],
    ["unknown url key", { url: { require_http: true } } as never, /webhooks\.url has unknown key\(s\) require_http/],
    ["env_prefix type", { env_prefix: "" }, /webhooks\.env_prefix must be/],
    ["headers type", { headers: ["x"] } as never, /webhooks\.headers must be an object/],
    ["require_https type", { url: { require_https: "true" } } as never, /webhooks\.url\.require_https must be true or false/],
    ["allowed_domains empty", { url: { allowed_domains: [] } }, /webhooks\.url\.allowed_domains must be a non-empty list/],
    ["domain with scheme", { url: { allowed_domains: ["https://x.com"] } }, /allowed_domains\[0\] must be a host name/],
    ["domain with port", { url: { allowed_domains: ["x.com:443"] } }, /allowed_domains\[0\] must be a host name/],
    ["inner wildcard", { url: { allowed_domains: ["a.*.com"] } }, /allowed_domains\[0\] must be a host name/],
    ["bare wildcard", { url: { allowed_domains: ["*"] } }, /allowed_domains\[0\] must be a host name/],
    ["port range", { url: { allowed_ports: [443, 70000] } }, /allowed_ports\[1\] must be an integer at least 1 and at most 65535/],
    ["port fraction", { url: { allowed_ports: [80.5] } }, /allowed_ports\[0\] must be an integer/],
    ["max_url_length cap", { url: { max_url_length: 65537 } }, /max_url_length must be an integer at least 16 and at most 65536/],
    ["disable_loopback type", { url: { disable_loopback: 1 } } as never, /disable_loopback must be true or false/],
    ["disable_private_ips type", { url: { disable_private_ips: null } } as never, /disable_private_ips must be true or false/],
    ["unknown field", { allowed_fields: ["run_id", "output"] }, /allowed_fields\[1\] is not a payload field \(allowed: run_id, thread_id/],
    ["empty fields", { allowed_fields: [] }, /allowed_fields must be a non-empty list/],
    ["signing_secret type", { signing_secret: 5 } as never, /signing_secret must be a string or a non-empty list/],
    ["retry type", { retry: [5] } as never, /webhooks\.retry must be an object/],
    ["retry unknown key", { retry: { delays: [1] } } as never, /webhooks\.retry has unknown key\(s\) delays/],
    ["negative delay", { retry: { schedule: [5, -1] } }, /retry\.schedule\[1\] must be a number at least 0/],
    ["schedule type", { retry: { schedule: "5,10" } } as never, /retry\.schedule must be a list/],
    ["timeout zero", { timeout_seconds: 0 }, /timeout_seconds must be a number greater than 0/],
    ["timeout NaN", { timeout_seconds: Number.NaN }, /timeout_seconds must be a number/],
    ["connect timeout", { connect_timeout_seconds: -1 }, /connect_timeout_seconds must be a number greater than 0/],
    ["concurrency", { max_concurrency_per_origin: 0 }, /max_concurrency_per_origin must be an integer at least 1 and at most 256/],
  ])("%s", (_name, file, expected) => {
    expect(configError(() => resolve(file))).toMatch(expected);
  });
});
