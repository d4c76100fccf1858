import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReceivedRequest } from "./receiver.js";
import {
  deliveriesOf,
  disposeAll,
  eventually,
  HUMAN,
  neverAnswer,
  receiver,
  scripted,
  settledDelivery,
  sleep,
  startWebhookServer,
  type WebhookServer,
} from "./e2e-support.js";

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const OLD_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const NEW_SECRET = `whsec_${randomBytes(32).toString("base64")}`;

// Retries after 1 s (±20 %), three times; attempts time out after 1 s; every request signed.
let server: WebhookServer;
beforeAll(async () => {
  server = await startWebhookServer({ webhooks: { retry: { schedule: [1, 1, 1] }, timeout_seconds: 1, signing_secret: SECRET } });
});
afterAll(disposeAll);

async function runWithWebhook(url: string): Promise<string> {
  const run = await server.client.runs.create(null, "echo", { input: HUMAN("retry"), webhook: url });
  return run.run_id;
}

function verify(secret: string, request: ReceivedRequest): unknown {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
}

const gaps = (requests: ReceivedRequest[]) => requests.slice(1).map((request, i) => request.receivedAt - requests[i].receivedAt);

describe("retries", () => {
  it("503, 503, 200: three attempts on the schedule, one webhook-id, each signed for its own timestamp", async () => {
    const r = await receiver(scripted([503, 503, { status: 200, body: "accepted" }]));
    const runId = await runWithWebhook(`${r.origin}/hook?token=t-503`);
    const requests = await r.waitFor(3, 10_000);
    const ids = new Set(requests.map((request) => request.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    for (const request of requests) expect(verify(SECRET, request)).toMatchObject({ run_id: runId });
    for (const request of requests) expect(request.url).toBe("/hook?token=t-503");
    for (const gap of gaps(requests)) {
      expect(gap).toBeGreaterThanOrEqual(750);
      expect(gap).toBeLessThan(2000);
    }
    // webhook_sent_at is stamped per attempt.
    const sent = requests.map((request) => JSON.parse(request.body).webhook_sent_at);
    expect(new Set(sent).size).toBe(3);

    const delivery = await settledDelivery(server, runId);
    expect(delivery.delivery_id).toBe([...ids][0]);
    expect(delivery.status).toBe("succeeded");
    expect(delivery.next_attempt_at).toBeNull();
    expect(delivery.attempts.map((a: any) => [a.attempt, a.trigger, a.status_code, a.error])).toEqual([
      [1, "automatic", 503, "HTTP 503"],
      [2, "automatic", 503, "HTTP 503"],
      [3, "automatic", 200, null],
    ]);
    expect(delivery.attempts[2].response_excerpt).toBe("accepted");
    await sleep(1500);
    expect(r.requests).toHaveLength(3);
  });

  it.each([410, 400])("%i is not retried: the delivery fails after one attempt", async (status) => {
    const r = await receiver(scripted([status]));
    const runId = await runWithWebhook(`${r.origin}/hook`);
    const delivery = await settledDelivery(server, runId);
    expect(delivery.status).toBe("failed");
    expect(delivery.next_attempt_at).toBeNull();
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({ status_code: status, error: `HTTP ${status}` });
    await sleep(1600);
    expect(r.requests).toHaveLength(1);
  });

  it("429 with Retry-After: the delay honours it, clamped to [scheduled, 2 × scheduled]", async () => {
    const long = await receiver(scripted([{ status: 429, headers: { "retry-after": "100" } }, 200]));
    const short = await receiver(scripted([{ status: 429, headers: { "retry-after": "0" } }, 200]));
    await runWithWebhook(`${long.origin}/hook`);
    await runWithWebhook(`${short.origin}/hook`);
    const [longGap] = gaps(await long.waitFor(2, 10_000));
    const [shortGap] = gaps(await short.waitFor(2, 10_000));
    // Retry-After 100 s asks for too much: 2 × 1 s. Retry-After 0 asks too little: the scheduled 1 s, without jitter.
    expect(longGap).toBeGreaterThanOrEqual(1950);
    expect(longGap).toBeLessThan(2800);
    expect(shortGap).toBeGreaterThanOrEqual(950);
    expect(shortGap).toBeLessThan(1700);
  });

  it("an attempt that gets no answer times out after timeout_seconds and is retried", async () => {
    const r = await receiver(neverAnswer);
    const runId = await runWithWebhook(`${r.origin}/hook`);
    const delivery = await settledDelivery(server, runId, (d) => d.attempts.length >= 1, 5000);
    expect(delivery.status).toBe("pending");
    expect(delivery.attempts[0].status_code).toBeNull();
    expect(delivery.attempts[0].error).toBe("timed out after 1000 ms");
    expect(delivery.attempts[0].duration_ms).toBeGreaterThanOrEqual(950);
    expect(delivery.attempts[0].duration_ms).toBeLessThan(2000);
    expect(Date.parse(delivery.next_attempt_at)).toBeGreaterThan(Date.parse(delivery.attempts[0].started_at));
  });

  it("a redirect is not followed: the Location is recorded (query values masked) and the attempt retried", async () => {
    const r = await receiver((req, res) => {
      if (req.url?.startsWith("/moved")) res.writeHead(302, { location: `http://127.0.0.1:${r.port}/elsewhere?secret=loc-7b6a` }).end();
      else res.writeHead(200).end();
    });
    const runId = await runWithWebhook(`${r.origin}/moved`);
    const delivery = await settledDelivery(server, runId, (d) => d.attempts.length >= 2, 6000);
    expect(delivery.attempts[0].status_code).toBe(302);
    expect(delivery.attempts[0].error).toBe(`HTTP 302; redirect to http://127.0.0.1:${r.port}/elsewhere?secret=*** not followed`);
    expect(r.requests.every((request) => request.url === "/moved")).toBe(true);
  });

  it("exhausted → failed, then a redelivery is one new attempt now with the same webhook-id", async () => {
    let up = false;
    const r = await receiver((_req, res) => res.writeHead(up ? 200 : 503).end());
    const runId = await runWithWebhook(`${r.origin}/hook`);
    const failed = await settledDelivery(server, runId, (d) => d.status === "failed", 10_000);
    expect(failed.attempts).toHaveLength(4); // the first attempt and three retries
    expect(failed.next_attempt_at).toBeNull();

    up = true;
    const asked = Date.now();
    const { status, body } = await server.api(`/webhooks/deliveries/${failed.delivery_id}/redeliver`, { method: "POST" });
    expect(status).toBe(202);
    expect(body).toMatchObject({ delivery_id: failed.delivery_id, status: "pending" });
    const requests = await r.waitFor(5);
    expect(requests[4].receivedAt - asked).toBeLessThan(500);
    expect(new Set(requests.map((request) => request.headers["webhook-id"]))).toEqual(new Set([failed.delivery_id]));
    const done = await settledDelivery(server, runId, (d) => d.status === "succeeded");
    expect(done.attempts.at(-1)).toMatchObject({ attempt: 5, trigger: "manual", status_code: 200, error: null });
  });

  it("a redelivery asked for during an attempt is made right after it", async () => {
    const r = await receiver((_req, res) => setTimeout(() => res.writeHead(200).end(), 400));
    const runId = await runWithWebhook(`${r.origin}/hook`);
    await r.waitFor(1);
    const [summary] = await deliveriesOf(server, runId);
    expect((await server.api(`/webhooks/deliveries/${summary.delivery_id}/redeliver`, { method: "POST" })).status).toBe(202);
    await r.waitFor(2, 5000);
    const done = await settledDelivery(server, runId, (d) => d.attempts.length === 2 && d.status === "succeeded");
    expect(done.attempts.map((a: any) => a.trigger)).toEqual(["automatic", "manual"]);
    await sleep(600);
    expect(r.requests).toHaveLength(2);
  });
});

describe("signatures (Standard Webhooks v1)", () => {
  it("verify with the standardwebhooks package; a tampered body does not", async () => {
    const r = await receiver();
    const runId = await runWithWebhook(`${r.origin}/hook`);
    const [request] = await r.waitFor(1);
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(SECRET, request)).toMatchObject({ run_id: runId, status: "success" });
    expect(() => verify(SECRET, { ...request, body: request.body.replace("success", "error") })).toThrow();
    expect(() => verify(NEW_SECRET, request)).toThrow();
  });

  it("with two secrets (a rotation) each one verifies on its own", async () => {
    const rotating = await startWebhookServer({ webhooks: { signing_secret: [OLD_SECRET, NEW_SECRET] } });
    const r = await receiver();
    const run = await rotating.client.runs.create(null, "echo", { input: HUMAN("rotate"), webhook: `${r.origin}/hook` });
    const [request] = await r.waitFor(1);
    expect(String(request.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verify(OLD_SECRET, request)).toMatchObject({ run_id: run.run_id });
    expect(verify(NEW_SECRET, request)).toMatchObject({ run_id: run.run_id });
    expect(() => verify(SECRET, request)).toThrow();
  });
});

describe("the delivery log API", () => {
  it("lists newest first with filters and paging, shows one delivery with its attempts, 404s unknown ids", async () => {
    const r = await receiver(scripted([200, 410]));
    const thread = await server.client.threads.create();
    const first = await server.client.runs.wait(thread.thread_id, "echo", { input: HUMAN("a"), webhook: `${r.origin}/hook?token=log-1` });
    expect(first).toBeDefined();
    const runs = await server.client.runs.list(thread.thread_id);
    const firstId = runs[0].run_id;
    await settledDelivery(server, firstId);
    const second = await server.client.runs.create(thread.thread_id, "echo", { input: HUMAN("b"), webhook: `${r.origin}/hook?token=log-2` });
    await settledDelivery(server, second.run_id);

    const list = (await server.api(`/webhooks/deliveries?thread_id=${thread.thread_id}`)).body;
    expect(list.map((d: any) => d.run_id)).toEqual([second.run_id, firstId]);
    expect(list.map((d: any) => d.status)).toEqual(["failed", "succeeded"]);
    expect(list[0].url).toBe(`${r.origin}/hook?token=***`);
    const failedOnly = (await server.api(`/webhooks/deliveries?thread_id=${thread.thread_id}&status=failed`)).body;
    expect(failedOnly.map((d: any) => d.run_id)).toEqual([second.run_id]);
    const paged = (await server.api(`/webhooks/deliveries?thread_id=${thread.thread_id}&limit=1&offset=1`)).body;
    expect(paged.map((d: any) => d.run_id)).toEqual([firstId]);
    expect((await server.api("/webhooks/deliveries?status=bogus")).status).toBe(422);

    const detail = (await server.api(`/webhooks/deliveries/${list[0].delivery_id}`)).body;
    expect(detail).toMatchObject({
      delivery_id: list[0].delivery_id,
      run_id: second.run_id,
      thread_id: thread.thread_id,
      url: `${r.origin}/hook?token=***`,
      status: "failed",
      next_attempt_at: null,
    });
    expect(typeof detail.created_at).toBe("string");
    expect(detail.attempts).toHaveLength(1);
    expect(Object.keys(detail.attempts[0])).toEqual(
      expect.arrayContaining(["attempt", "started_at", "duration_ms", "status_code", "error", "response_excerpt"]),
    );

    const unknown = "00000000-0000-4000-8000-000000000000";
    expect((await server.api(`/webhooks/deliveries/${unknown}`)).status).toBe(404);
    expect((await server.api(`/webhooks/deliveries/${unknown}/redeliver`, { method: "POST" })).status).toBe(404);
  });

  it("appears in /openapi.json", async () => {
    const { body } = await server.api("/openapi.json");
    expect(body.paths["/webhooks/deliveries"].get).toBeDefined();
    expect(body.paths["/webhooks/deliveries/{delivery_id}"].get).toBeDefined();
    expect(body.paths["/webhooks/deliveries/{delivery_id}/redeliver"].post).toBeDefined();
  });

  it("keeps a response excerpt of at most 2 KiB, without the receiver echoing the URL's token back", async () => {
    const r = await receiver((req, res) => res.writeHead(400).end(`bad request to ${req.url} ${"x".repeat(10_000)}`));
    const runId = await runWithWebhook(`${r.origin}/hook?token=echoed-4c3b2a`);
    const delivery = await settledDelivery(server, runId);
    const excerpt: string = delivery.attempts[0].response_excerpt;
    expect(Buffer.byteLength(excerpt)).toBeLessThanOrEqual(2048);
    expect(excerpt.startsWith("bad request to /hook?token=*** x")).toBe(true);
    expect(JSON.stringify(delivery)).not.toContain("echoed-4c3b2a");
    await eventually(async () => (server.logs().includes(delivery.delivery_id) ? true : undefined));
    expect(server.logs()).not.toContain("echoed-4c3b2a");
  });
});
