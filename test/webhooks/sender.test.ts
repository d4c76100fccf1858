import { randomBytes, randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import type { WebhooksFileConfig } from "../../src/config/langgraph-json.js";
import { VERSION } from "../../src/version.js";
import { resolveWebhookSettings, type ServerMode } from "../../src/webhooks/config.js";
import type { Resolver } from "../../src/webhooks/dns-guard.js";
import { WebhookSender, type WebhookSenderSettings } from "../../src/webhooks/sender.js";
import { startReceiver, startUnansweredPort, type Receiver } from "./receiver.js";

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  cleanup.push(() => r.close());
  return r;
}

function sender(
  mode: ServerMode,
  file: WebhooksFileConfig = {},
  opts: { resolver?: Resolver; overrides?: Partial<WebhookSenderSettings>; env?: Record<string, string> } = {},
): WebhookSender {
  const settings = { ...resolveWebhookSettings(mode, file, {}, opts.env ?? {}), ...opts.overrides };
  const s = new WebhookSender(settings, { resolver: opts.resolver });
  cleanup.push(() => s.close());
  return s;
}

/** A resolver that maps every name to fixed addresses and counts its calls. */
function fixedResolver(addresses: string[]): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    return addresses.map((address) => ({ address, family: (address.includes(":") ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolver, { calls });
}

const body = JSON.stringify({ run_id: "r1", status: "success", values: { text: "héllo" } });
const message = (url: string) => ({ url, messageId: `msg_${randomUUID()}`, body });

describe("WebhookSender: a successful attempt", () => {
  it("POSTs the body with Standard Webhooks headers, custom headers and a verifiable signature", async () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const r = await receiver((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("thanks"));
    const s = sender("dev", { signing_secret: secret, headers: { Authorization: "Bearer ${{ env.LG_WEBHOOK_TOKEN }}" } }, {
      env: { LG_WEBHOOK_TOKEN: "tok-1" },
    });
    const msg = message(`${r.origin}/hooks/run?token=abc&x=1`);
    const before = Math.floor(Date.now() / 1000);
    const result = await s.send(msg);

    expect(result).toMatchObject({ outcome: "succeeded", statusCode: 200, responseExcerpt: "thanks", responseBytes: 6 });
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.requests).toHaveLength(1);
    const got = r.requests[0];
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/hooks/run?token=abc&x=1");
    expect(got.body).toBe(body);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["user-agent"]).toBe(`hookgraph/${VERSION}`);
    expect(got.headers["webhook-id"]).toBe(msg.messageId);
    expect(Number(got.headers["webhook-timestamp"])).toBeGreaterThanOrEqual(before);
    expect(got.headers.authorization).toBe("Bearer tok-1");
    expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toEqual(JSON.parse(body));
  });

  it("signs with both secrets during a rotation and omits the signature without secrets", async () => {
    const [a, b] = [randomBytes(24), randomBytes(24)].map((k) => `whsec_${k.toString("base64")}`);
    const r = await receiver();
    await sender("dev", { signing_secret: [a, b] }).send(message(`${r.origin}/`));
    await sender("dev").send(message(`${r.origin}/`));
    const [signed, unsigned] = r.requests;
    for (const secret of [a, b]) {
      expect(() => new Webhook(secret).verify(signed.body, signed.headers as Record<string, string>)).not.toThrow();
    }
    expect(unsigned.headers["webhook-signature"]).toBeUndefined();
    expect(unsigned.headers["webhook-id"]).toMatch(/^msg_/);
  });
});

describe("WebhookSender: DNS and the URL policy", () => {
  it("dev mode: a name resolving to 127.0.0.1 is delivered to that address, Host and query intact", async () => {
    const r = await receiver();
    const resolver = fixedResolver(["127.0.0.1"]);
    const result = await sender("dev", {}, { resolver }).send(message(`http://hooks.test:${r.port}/in?sig=a%2Fb&empty=&flag`));
    expect(result.outcome).toBe("succeeded");
    expect(resolver.calls).toEqual(["hooks.test"]);
    expect(r.requests[0].url).toBe("/in?sig=a%2Fb&empty=&flag");
    expect(r.requests[0].headers.host).toBe(`hooks.test:${r.port}`);
  });

  it.each([["127.0.0.1"], ["::ffff:127.0.0.1"], ["127.0.0.53"], ["0.0.0.0"]])(
    "serve mode: a name resolving to %s is refused before any connection",
    async (address) => {
      const r = await receiver();
      const resolver = fixedResolver([address]);
      const result = await sender("serve", {}, { resolver }).send(message(`http://hooks.test:${r.port}/in?token=s3cret`));
      expect(result.outcome).toBe("failed");
      expect(result.error).toMatch(/refused by the webhook URL policy: .*is a loopback address/);
      expect(result.error).not.toContain("s3cret");
      expect(resolver.calls).toEqual(["hooks.test"]);
      expect(r.connections()).toBe(0);
      expect(r.requests).toHaveLength(0);
    },
  );

  it("connects only to the addresses that passed the check when a name resolves to several", async () => {
    const r = await receiver();
    // Every entry stays on this host; the bogus one must be dropped, not handed to the socket.
    const resolver = fixedResolver(["2130706433", "127.0.0.1"]);
    const s = sender("serve", { url: { disable_loopback: false } }, { resolver });
    expect((await s.send(message(`http://hooks.test:${r.port}/`))).outcome).toBe("succeeded");
    expect(r.connections()).toBe(1);
  });

  it("serve mode: IP-literal and localhost URLs are refused without resolving", async () => {
    const r = await receiver();
    const resolver = fixedResolver(["127.0.0.1"]);
    const s = sender("serve", {}, { resolver });
    for (const url of [`${r.origin}/`, `http://localhost:${r.port}/`, `http://[::ffff:7f00:1]:${r.port}/`, `http://2130706433:${r.port}/`]) {
      const result = await s.send(message(url));
      expect(result).toMatchObject({ outcome: "failed", durationMs: 0 });
      expect(result.error).toMatch(/loopback/);
    }
    expect(resolver.calls).toEqual([]);
    expect(r.connections()).toBe(0);
  });

  it("applies the creation-time rules again at send time", async () => {
    const s = sender("dev", { url: { require_https: true } });
    expect(await s.send(message("http://hooks.example.com/"))).toMatchObject({ outcome: "failed", error: expect.stringMatching(/must use https/) });
    expect(await s.send(message("/relative"))).toMatchObject({ outcome: "failed", error: expect.stringMatching(/Relative/) });
  });

  it("a DNS failure is retried", async () => {
    const resolver: Resolver = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.test"), { code: "ENOTFOUND" });
    };
    const result = await sender("dev", {}, { resolver }).send(message("http://nowhere.test/"));
    expect(result).toMatchObject({ outcome: "retry", error: "DNS lookup failed (ENOTFOUND)" });
    expect(result.statusCode).toBeUndefined();
  });
});

describe("WebhookSender: status handling", () => {
  it.each([
    [503, "retry"],
    [500, "retry"],
    [408, "retry"],
    [410, "failed"],
    [400, "failed"],
    [404, "failed"],
  ] as const)("HTTP %i → %s", async (status, outcome) => {
    const r = await receiver((_req, res) => res.writeHead(status).end(`status ${status}`));
    const result = await sender("dev").send(message(`${r.origin}/`));
    expect(result).toMatchObject({ outcome, statusCode: status, error: `HTTP ${status}`, responseExcerpt: `status ${status}` });
  });

  it("429 with Retry-After in seconds or as an HTTP date", async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    let n = 0;
    const r = await receiver((_req, res) => res.writeHead(429, { "retry-after": n++ === 0 ? "37" : inTwoMinutes }).end());
    const s = sender("dev");
    expect(await s.send(message(`${r.origin}/`))).toMatchObject({ outcome: "retry", statusCode: 429, retryAfterSeconds: 37 });
    const dated = await s.send(message(`${r.origin}/`));
    expect(dated.retryAfterSeconds).toBeGreaterThanOrEqual(118);
    expect(dated.retryAfterSeconds).toBeLessThanOrEqual(121);
  });

  it("3xx is not followed; Location is recorded with its query redacted", async () => {
    const r = await receiver((req, res) => {
      if (req.url === "/old") res.writeHead(301, { location: "/new?token=s3cret" }).end();
      else res.end("followed");
    });
    const result = await sender("dev").send(message(`${r.origin}/old`));
    expect(result).toMatchObject({ outcome: "retry", statusCode: 301, location: "/new?token=***" });
    expect(r.requests.map((q) => q.url)).toEqual(["/old"]);
  });
});

describe("WebhookSender: network failures and limits", () => {
  it("a receiver that never answers times out within the configured time", async () => {
    const r = await receiver(() => {
      /* never respond */
    });
    const result = await sender("dev", {}, { overrides: { timeoutMs: 300 } }).send(message(`${r.origin}/`));
    expect(result).toMatchObject({ outcome: "retry", error: "timed out after 300 ms" });
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(1500);
    expect(r.requests).toHaveLength(1);
  });

  it("an attempt aborted through its signal (server stopping) ends at once as a retry", async () => {
    const r = await receiver(() => {
      /* never respond */
    });
    const stopping = new AbortController();
    const pending = sender("dev").send({ ...message(`${r.origin}/`), signal: stopping.signal });
    await r.waitFor(1);
    stopping.abort();
    const result = await pending;
    expect(result).toMatchObject({ outcome: "retry", error: "aborted: the server is stopping" });
    expect(result.durationMs).toBeLessThan(1500);
  });

  it("a body that stalls after a 200 keeps the 2xx outcome and what was read", async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("partial");
    });
    const result = await sender("dev", {}, { overrides: { timeoutMs: 300 } }).send(message(`${r.origin}/`));
    expect(result).toMatchObject({ outcome: "succeeded", statusCode: 200, responseExcerpt: "partial" });
    expect(result.durationMs).toBeLessThan(1500);
  });

  it("a host that never answers the handshake times out after webhooks.connect_timeout_seconds and is retried", async () => {
    const unanswered = await startUnansweredPort();
    cleanup.push(async () => unanswered.close());
    const result = await sender("dev", { connect_timeout_seconds: 0.3, timeout_seconds: 10 }).send(
      message(`http://127.0.0.1:${unanswered.port}/`),
    );
    expect(result).toMatchObject({ outcome: "retry", error: "connect timed out (UND_ERR_CONNECT_TIMEOUT)" });
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(3_000);
  });

  it("connection refused is retried", async () => {
    const r = await startReceiver();
    const port = r.port;
    await r.close();
    const result = await sender("dev").send(message(`http://127.0.0.1:${port}/`));
    expect(result).toMatchObject({ outcome: "retry", error: "connection refused (ECONNREFUSED)" });
  });

  it("reads at most 64 KiB of a 1 MiB body and keeps a 2 KiB excerpt", async () => {
    const big = "0123456789abcdef".repeat(65536); // 1 MiB
    const r = await receiver((_req, res) => res.end(big));
    const result = await sender("dev").send(message(`${r.origin}/`));
    expect(result.outcome).toBe("succeeded");
    expect(result.responseBytes).toBe(64 * 1024);
    expect(Buffer.byteLength(result.responseExcerpt!)).toBe(2048);
    expect(result.responseExcerpt).toBe(big.slice(0, 2048));
  });

  it("counts the cap after decompression (gzip bomb) and never splits a UTF-8 character", async () => {
    const text = "é".repeat(5 * 1024 * 1024); // 10 MiB decoded
    const r = await receiver((_req, res) => res.writeHead(500, { "content-encoding": "gzip" }).end(gzipSync(text)));
    const result = await sender("dev").send(message(`${r.origin}/`));
    expect(result).toMatchObject({ outcome: "retry", statusCode: 500, responseBytes: 64 * 1024 });
    expect(result.responseExcerpt).toBe("é".repeat(1024));
  });

  it("limits concurrent attempts per origin; other origins are not held up", async () => {
    let active = 0;
    let peak = 0;
    const slow = await receiver((_req, res) => {
      active++;
      peak = Math.max(peak, active);
      setTimeout(() => {
        active--;
        res.end();
      }, 80);
    });
    const fast = await receiver();
    const s = sender("dev", { max_concurrency_per_origin: 2 });
    const slowSends = Array.from({ length: 7 }, () => s.send(message(`${slow.origin}/`)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    expect((await s.send(message(`${fast.origin}/`))).outcome).toBe("succeeded");
    // Queued behind the slow origin it would wait for its ~320 ms of answers.
    expect(performance.now() - started).toBeLessThan(250);
    const results = await Promise.all(slowSends);
    expect(results.every((x) => x.outcome === "succeeded")).toBe(true);
    expect(peak).toBe(2);
    expect(slow.requests).toHaveLength(7);
  });

  it("queues beyond the global in-flight bound instead of failing", async () => {
    let active = 0;
    let peak = 0;
    const receivers = await Promise.all(
      [0, 1, 2].map(() =>
        receiver((_req, res) => {
          active++;
          peak = Math.max(peak, active);
          setTimeout(() => {
            active--;
            res.end();
          }, 50);
        }),
      ),
    );
    const s = sender("dev", {}, { overrides: { maxInFlight: 2 } });
    const results = await Promise.all(receivers.flatMap((r) => [s.send(message(`${r.origin}/`)), s.send(message(`${r.origin}/`))]));
    expect(results.map((x) => x.outcome)).toEqual(Array(6).fill("succeeded"));
    expect(peak).toBe(2);
  });
});
