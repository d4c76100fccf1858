import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedAddress, Resolver } from "../../src/webhooks/dns-guard.js";
import {
  deliveriesOf,
  disposeAll,
  HUMAN,
  receiver,
  scripted,
  settledDelivery,
  sleep,
  startWebhookServer,
  type WebhookServer,
} from "./e2e-support.js";

/** A resolver answering from a table (never the network); unknown names fail like getaddrinfo. */
function tableResolver(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolver, { calls });
}

async function createWith(server: WebhookServer, webhook: string, extra: Record<string, unknown> = {}) {
  return server.api("/runs", { body: { assistant_id: "echo", input: HUMAN("policy"), webhook, ...extra } });
}

describe("the webhook URL policy of serve at run creation (422 naming the rule)", () => {
  // serve defaults: loopback and private targets refused; names are judged by their form only.
  let server: WebhookServer;
  beforeAll(async () => {
    server = await startWebhookServer({ mode: "serve", resolver: tableResolver({}) });
  });
  afterAll(disposeAll);

  it.each([
    ["/my-webhook-endpoint?token=t", "Relative webhook URLs are not supported"],
    ["hook?token=t", "Relative webhook URLs are not supported"],
    ["//hooks.example.com/h", "Relative webhook URLs are not supported"],
    ["ftp://hooks.example.com/h", "Webhook URL must use http or https"],
    ["file:///etc/passwd", "Webhook URL must use http or https"],
    ["javascript:alert(1)", "Webhook URL must use http or https"],
    ["http://user:pw@hooks.example.com/h", "Webhook URL must not contain credentials"],
    [`https://hooks.example.com/${"x".repeat(4100)}`, "Webhook URL is too long"],
    ["http://localhost:8080/h", "is a loopback address"],
    ["http://LOCALHOST./h", "is a loopback address"],
    ["http://api.localhost/h", "is a loopback address"],
    ["http://127.0.0.1/h", "is a loopback address"],
    ["http://127.1/h", "is a loopback address"],
    ["http://2130706433/h", "is a loopback address"],
    ["http://0x7f000001/h", "is a loopback address"],
    ["http://0177.0.0.1/h", "is a loopback address"],
    ["http://0.0.0.0/h", "is a loopback address"],
    ["http://0/h", "is a loopback address"],
    ["http://[::1]/h", "is a loopback address"],
    ["http://[::]/h", "is a loopback address"],
    ["http://[::ffff:7f00:1]/h", "is a loopback address"],
    ["http://[::ffff:127.0.0.1]/h", "is a loopback address"],
    ["http://[64:ff9b::7f00:1]/h", "is a loopback address"],
    ["http://169.254.169.254/latest/meta-data/", "is a private or reserved address"],
    ["http://[2002:a9fe:a9fe::]/h", "is a private or reserved address"],
    ["http://[::ffff:a9fe:a9fe]/h", "is a private or reserved address"],
    ["http://10.1.2.3/h", "is a private or reserved address"],
    ["http://172.16.0.9/h", "is a private or reserved address"],
    ["http://192.168.1.20/h", "is a private or reserved address"],
    ["http://100.64.0.1/h", "is a private or reserved address"],
    ["http://[fd00::1]/h", "is a private or reserved address"],
    ["http://[fe80::1]/h", "is a private or reserved address"],
    ["http://intranet/h", "is a private or reserved address"],
    ["http://printer.local/h", "is a private or reserved address"],
    ["http://db.internal/h", "is a private or reserved address"],
  ])("serve refuses %s", async (url, reason) => {
    const { status, body } = await createWith(server, url);
    expect(status).toBe(422);
    expect(body.detail).toContain("webhook");
    expect(body.detail).toContain(reason);
    // The reason never quotes the URL (its query may hold a token).
    expect(body.detail).not.toContain("token=t");
  });
});

describe("the webhook URL policy at run creation", () => {
  afterEach(disposeAll);

  it("applies webhooks.url: require_https, allowed_domains (exact, *.suffix), allowed_ports, max_url_length", async () => {
    const resolver = tableResolver({});
    const server = await startWebhookServer({
      resolver,
      webhooks: {
        url: { require_https: true, allowed_domains: ["hooks.example.com", "*.example.org"], allowed_ports: [443, 8443], max_url_length: 64 },
        retry: { schedule: [] },
      },
    });
    const cases: Array<[string, number, string?]> = [
      ["http://hooks.example.com/h", 422, "Webhook must use https"],
      ["https://evil.example.net/h", 422, "Webhook domain not allowed"],
      ["https://example.org/h", 422, "Webhook domain not allowed"],
      ["https://hooks.example.com.evil.net/h", 422, "Webhook domain not allowed"],
      ["https://hooks.example.com:8080/h", 422, "Webhook port not allowed"],
      [`https://hooks.example.com/${"x".repeat(60)}`, 422, "Webhook URL is too long"],
      ["https://a.example.org/h?token=t", 200],
      ["https://hooks.example.com:8443/h", 200],
      ["https://HOOKS.example.com./h", 200],
    ];
    for (const [url, status, reason] of cases) {
      const response = await createWith(server, url);
      expect(response.status, url).toBe(status);
      if (reason) expect(response.body.detail, url).toContain(reason);
    }
    // The accepted ones were sent nowhere: the injected resolver knows no name.
    const { body } = await server.api("/webhooks/deliveries");
    await Promise.all(body.map((d: any) => settledDelivery(server, d.run_id)));
    for (const d of (await server.api("/webhooks/deliveries")).body) expect(d.status).toBe("failed");
  });

  it("checks every run-creating endpoint and never creates the run", async () => {
    const server = await startWebhookServer({ mode: "serve" });
    const thread = await server.client.threads.create();
    const body = { assistant_id: "echo", input: HUMAN("x"), webhook: "http://127.0.0.1:9/h" };
    for (const path of [`/threads/${thread.thread_id}/runs`, `/threads/${thread.thread_id}/runs/stream`, `/threads/${thread.thread_id}/runs/wait`, "/runs", "/runs/stream", "/runs/wait"]) {
      const response = await server.api(path, { body });
      expect(response.status, path).toBe(422);
      expect(response.body.detail, path).toContain("is a loopback address");
    }
    expect((await server.api("/runs/batch", { body: [body] })).status).toBe(422);
    expect(await server.client.runs.list(thread.thread_id)).toEqual([]);
  });
});

describe("the webhook URL policy at send time (injected DNS; refusals happen before any socket opens)", () => {
  afterEach(disposeAll);

  it("does not resolve names at creation", async () => {
    const resolver = tableResolver({ "hooks.example.test": ["127.0.0.1"] });
    const server = await startWebhookServer({ mode: "serve", resolver });
    const { status, body } = await createWith(server, "http://hooks.example.test:9/h", { after_seconds: 60 });
    expect(status).toBe(200);
    await sleep(100);
    expect(resolver.calls).toEqual([]);
    await server.api("/runs/cancel", { body: { run_ids: [body.run_id] } });
  });

  it.each([
    ["a name resolving to loopback", ["127.0.0.1"], "127.0.0.1 is a loopback address"],
    ["a name resolving to an IPv4-mapped loopback", ["::ffff:127.0.0.1"], "is a loopback address"],
    ["a name resolving to the cloud metadata address", ["169.254.169.254"], "169.254.169.254 is a private or reserved address"],
    ["a name resolving to private addresses only", ["10.0.0.7", "fd00::7"], "10.0.0.7 is a private or reserved address"],
  ])("serve refuses %s: the delivery fails, nothing connects", async (_what, addresses, reason) => {
    const r = await receiver();
    const resolver = tableResolver({ "rebind.example.test": addresses });
    const server = await startWebhookServer({ mode: "serve", resolver });
    const { status, body } = await createWith(server, `http://rebind.example.test:${r.port}/hook?token=t-dns`);
    expect(status).toBe(200);
    const delivery = await settledDelivery(server, body.run_id);
    expect(resolver.calls).toContain("rebind.example.test");
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0].error).toContain("refused by the webhook URL policy");
    expect(delivery.attempts[0].error).toContain(reason);
    expect(delivery.attempts[0].error).not.toContain("t-dns");
    expect(r.connections()).toBe(0);
  });

  it("an unresolvable name is a retried failure", async () => {
    const resolver = tableResolver({});
    const server = await startWebhookServer({ mode: "serve", resolver, webhooks: { retry: { schedule: [0.3, 0.3] } } });
    const { body } = await createWith(server, "http://nowhere.example.test/hook");
    const delivery = await settledDelivery(server, body.run_id, (d) => d.status === "failed", 5000);
    expect(delivery.attempts).toHaveLength(3);
    for (const attempt of delivery.attempts) expect(attempt.error).toBe("DNS lookup failed (ENOTFOUND)");
  });

  it("dev allows loopback: the connection goes to the address the resolver gave", async () => {
    const r = await receiver();
    const resolver = tableResolver({ "local-name.example.test": ["127.0.0.1"] });
    const server = await startWebhookServer({ mode: "dev", resolver });
    await createWith(server, `http://local-name.example.test:${r.port}/hook`);
    const [request] = await r.waitFor(1);
    expect(request.headers.host).toBe(`local-name.example.test:${r.port}`);
    expect(resolver.calls).toContain("local-name.example.test");
  });

  it("a delivery accepted under dev is refused at send time once the server runs as serve", async () => {
    const r = await receiver(scripted([503]));
    const dev = await startWebhookServer({ mode: "dev", webhooks: { retry: { schedule: [1] } } });
    const { body } = await createWith(dev, `${r.origin}/hook`);
    await r.waitFor(1);
    await settledDelivery(dev, body.run_id, (d) => d.attempts.length === 1);
    await dev.close();
    const serve = await startWebhookServer({ mode: "serve", dataDir: dev.dataDir, webhooks: { retry: { schedule: [1] } } });
    const delivery = await settledDelivery(serve, body.run_id, (d) => d.status === "failed", 5000);
    expect(delivery.attempts[1].error).toContain("refused by the webhook URL policy");
    expect(r.requests).toHaveLength(1);
  });
});

describe("configuration", () => {
  afterEach(disposeAll);

  it("http.disable_webhooks: runs still run, no webhook is ever sent, /info says so, redelivery is refused", async () => {
    const r = await receiver();
    const server = await startWebhookServer({ http: { disable_webhooks: true } });
    const values: any = await server.client.runs.wait(null, "echo", { input: HUMAN("quiet"), webhook: `${r.origin}/hook` });
    expect(values.messages.at(-1).content).toBe("echo: quiet");
    const info = (await server.api("/info")).body;
    expect(info.flags.webhooks).toBe(false);
    await sleep(500);
    expect(r.connections()).toBe(0);
    expect((await server.api("/webhooks/deliveries")).body).toEqual([]);
    const redeliver = await server.api("/webhooks/deliveries/00000000-0000-4000-8000-000000000000/redeliver", { method: "POST" });
    expect(redeliver.status).toBe(409);
  });

  it("LANGGRAPH_HTTP='{\"disable_webhooks\": true}' does the same, and deliveries stored earlier are not sent", async () => {
    const r = await receiver(scripted([503]));
    const first = await startWebhookServer({ webhooks: { retry: { schedule: [0.5] } } });
    const { body } = await createWith(first, `${r.origin}/hook`);
    await settledDelivery(first, body.run_id, (d) => d.attempts.length === 1);
    await first.close();

    const server = await startWebhookServer({ dataDir: first.dataDir, processEnv: { LANGGRAPH_HTTP: '{"disable_webhooks": true}' } });
    expect((await server.api("/info")).body.flags.webhooks).toBe(false);
    await server.client.runs.wait(null, "echo", { input: HUMAN("quiet"), webhook: `${r.origin}/hook` });
    await sleep(1200);
    expect(r.requests).toHaveLength(1);
    expect((await deliveriesOf(server, body.run_id))[0].status).toBe("pending");
  });

  it("webhooks.headers with ${{ env.VAR }} templates (default and custom env_prefix) are sent on every request", async () => {
    const r = await receiver();
    const server = await startWebhookServer({
      env: { LG_WEBHOOK_E2E_TOKEN: "hdr-token-51f0", HOOKS_E2E_KEY: "hdr-key-8e2d" },
      webhooks: { headers: { Authorization: "Bearer ${{ env.LG_WEBHOOK_E2E_TOKEN }}", "X-Static": "plain" } },
    });
    await createWith(server, `${r.origin}/hook`);
    const [request] = await r.waitFor(1);
    expect(request.headers.authorization).toBe("Bearer hdr-token-51f0");
    expect(request.headers["x-static"]).toBe("plain");

    const custom = await startWebhookServer({ webhooks: { env_prefix: "HOOKS_E2E_", headers: { "X-Key": "${{ env.HOOKS_E2E_KEY }}" } } });
    await createWith(custom, `${r.origin}/hook`);
    const [, second] = await r.waitFor(2);
    expect(second.headers["x-key"]).toBe("hdr-key-8e2d");
  });

  it("LANGGRAPH_WEBHOOKS overrides the file's webhooks block", async () => {
    const r = await receiver();
    const server = await startWebhookServer({
      webhooks: { headers: { "X-Source": "file" } },
      processEnv: { LANGGRAPH_WEBHOOKS: JSON.stringify({ headers: { "X-Source": "env" }, allowed_fields: ["run_id", "status"] }) },
    });
    await createWith(server, `${r.origin}/hook`);
    const [request] = await r.waitFor(1);
    expect(request.headers["x-source"]).toBe("env");
    expect(Object.keys(JSON.parse(request.body)).sort()).toEqual(["run_id", "status"]);
  });

  it.each([
    [{ headers: { Authorization: "Bearer ${{ env.OTHER_E2E_TOKEN }}" } }, 'environment variable OTHER_E2E_TOKEN must start with the env_prefix "LG_WEBHOOK_"'],
    [{ headers: { Authorization: "Bearer ${{ env.LG_WEBHOOK_E2E_UNSET }}" } }, "environment variable LG_WEBHOOK_E2E_UNSET is not set"],
    [{ signing_secret: "${{ env.LG_WEBHOOK_E2E_UNSET }}" }, "webhooks.signing_secret: environment variable LG_WEBHOOK_E2E_UNSET is not set"],
    [{ retry: { schedule: [5, -1] } }, "webhooks.retry.schedule[1]"],
    [{ url: { allowed_ports: [] } }, "webhooks.url.allowed_ports must be a non-empty list"],
    [{ allowed_fields: ["run_id", "secret_sauce"] }, "webhooks.allowed_fields[1] is not a payload field"],
    [{ timeout_seconds: 0 }, "webhooks.timeout_seconds must be a number greater than 0"],
  ])("start-up fails clearly on %j", async (webhooks, message) => {
    await expect(startWebhookServer({ webhooks })).rejects.toThrow(message);
  });
});
