import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  disposeAll,
  eventually,
  HUMAN,
  receiver,
  scripted,
  settledDelivery,
  startWebhookServer,
  tempDir,
  type WebhookServer,
} from "./e2e-support.js";
import type { Receiver } from "./receiver.js";

const URL_TOKEN = "urltok-8d1e6b2f";
const HEADER_SECRET = "hdrsecret-c4a97e05";
const SIGNING_KEY = randomBytes(32).toString("base64");
const SECRETS = [URL_TOKEN, HEADER_SECRET, SIGNING_KEY, `whsec_${SIGNING_KEY}`];

let server: WebhookServer;
let ok: Receiver;
let echo: Receiver;
let flaky: Receiver;
let moved: Receiver;
/** Every API response body (and SSE text) seen by the tests. */
const shown: string[] = [];

async function call(path: string, init: { method?: string; body?: unknown } = {}): Promise<string> {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  expect(response.status, `${path}: ${text.slice(0, 200)}`).toBeLessThan(300);
  shown.push(text);
  return text;
}

beforeAll(async () => {
  ok = await receiver();
  // Echoes the request line and headers back in a 400: a receiver may quote what it got.
  echo = await receiver((req, res) => res.writeHead(400).end(`${req.url}\n${JSON.stringify(req.headers)}`));
  flaky = await receiver(scripted([503, 200]));
  moved = await receiver((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:1/next?token=${URL_TOKEN}` }).end());
  server = await startWebhookServer({
    logLevel: "trace",
    env: { LG_WEBHOOK_SECRETS_E2E: HEADER_SECRET },
    webhooks: {
      headers: { Authorization: "Bearer ${{ env.LG_WEBHOOK_SECRETS_E2E }}" },
      signing_secret: `whsec_${SIGNING_KEY}`,
      retry: { schedule: [0.3] },
    },
  });
});
afterAll(disposeAll);

const hook = (r: Receiver | { origin: string }, path = "hook") => `${r.origin}/${path}?token=${URL_TOKEN}&plain=visible`;

describe("secrets never appear in the API or the logs", () => {
  it("run responses, thread run lists, streams, state and the delivery log show the webhook URL masked", async () => {
    const thread = JSON.parse(await call("/threads", { body: {} }));
    const threadId = thread.thread_id;
    const created = JSON.parse(await call(`/threads/${threadId}/runs`, { body: { assistant_id: "echo", input: HUMAN("one"), webhook: hook(ok) } }));
    expect(created.kwargs.webhook).toBe(`${ok.origin}/hook?token=***&plain=***`);
    await call(`/threads/${threadId}/runs/${created.run_id}/join`);
    await call(`/threads/${threadId}/runs/stream`, {
      body: { assistant_id: "echo", input: HUMAN("two"), webhook: hook(echo), stream_mode: ["events", "debug", "values", "updates"] },
    });
    await call(`/threads/${threadId}/runs/wait`, { body: { assistant_id: "error", input: {}, webhook: hook(flaky) } });
    await call("/runs/wait", { body: { assistant_id: "echo", input: HUMAN("three"), webhook: hook(moved), on_completion: "keep" } });
    await call("/runs/stream", { body: { assistant_id: "echo", input: HUMAN("four"), webhook: hook({ origin: "http://127.0.0.1:1" }) } });
    const batch = JSON.parse(await call("/runs/batch", { body: [{ assistant_id: "echo", input: HUMAN("five"), webhook: hook(ok) }] }));
    expect(batch[0].kwargs.webhook).toBe(`${ok.origin}/hook?token=***&plain=***`);
    await call(`/threads/${threadId}/runs/${created.run_id}`);
    await call(`/threads/${threadId}/runs`);
    await call(`/threads/${threadId}/state`);
    await call(`/threads/${threadId}/history`, { body: {} });
    await call("/threads/search", { body: {} });

    // Wait for every delivery to reach its final state (the flaky and moved ones after a retry).
    const deliveries = await eventually(async () => {
      const list = JSON.parse(await call("/webhooks/deliveries"));
      return list.length === 6 && list.every((d: any) => d.status !== "pending") ? list : undefined;
    }, 10_000, "all deliveries to settle");
    for (const delivery of deliveries) {
      expect(delivery.url).toContain("token=***");
      await call(`/webhooks/deliveries/${delivery.delivery_id}`);
    }
    const echoed = await settledDelivery(server, deliveries.find((d: any) => d.url.startsWith(echo.origin)).run_id);
    // The echo receiver quoted the token and the Authorization header back; the log shows them masked.
    expect(echoed.attempts[0].response_excerpt).toContain("token=***");
    expect(echoed.attempts[0].response_excerpt).toContain('"authorization":"***"');

    // The receivers did get the real values.
    expect(ok.requests[0].url).toBe(`/hook?token=${URL_TOKEN}&plain=visible`);
    expect(ok.requests[0].headers.authorization).toBe(`Bearer ${HEADER_SECRET}`);

    for (const text of shown) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it("the log stream (at trace level) never carries a secret", async () => {
    const logs = server.logs();
    expect(logs).toContain('"msg":"webhook attempt"');
    expect(logs).toContain("token=***");
    for (const secret of SECRETS) expect(logs).not.toContain(secret);
  });

  it("start-up errors name the key and the rule, never the value", async () => {
    const wrongPrefix = startWebhookServer({
      dataDir: tempDir(),
      env: { NOT_PREFIXED_E2E: HEADER_SECRET },
      webhooks: { headers: { "X-Key": "${{ env.NOT_PREFIXED_E2E }}" } },
    });
    await expect(wrongPrefix).rejects.toThrow(/webhooks\.headers\.X-Key/);
    await wrongPrefix.catch((error: Error) => expect(error.message).not.toContain(HEADER_SECRET));
    const badSecret = startWebhookServer({ webhooks: { signing_secret: `whsec_${SIGNING_KEY}!` } });
    await badSecret.catch((error: Error) => {
      expect(error.message).toContain("webhooks.signing_secret");
      expect(error.message).not.toContain(SIGNING_KEY);
    });
    await expect(badSecret).rejects.toThrow();
  });
});
