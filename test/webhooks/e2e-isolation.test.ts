import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_IN_FLIGHT } from "../../src/webhooks/config.js";
import type { Receiver } from "./receiver.js";
import { disposeAll, eventually, HUMAN, neverAnswer, receiver, sleep, startWebhookServer, type WebhookServer } from "./e2e-support.js";

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Default timeouts (30 s per attempt): a receiver that never answers holds its attempts for the whole test.
let server: WebhookServer;
let dead: Receiver;
beforeAll(async () => {
  dead = await receiver(neverAnswer);
  server = await startWebhookServer({ logLevel: "warn", webhooks: { max_concurrency_per_origin: 4 } });
});
afterAll(disposeAll);

async function timedWait(webhook: string | undefined): Promise<number> {
  const started = performance.now();
  await server.client.runs.wait(null, "echo", { input: HUMAN("t"), ...(webhook ? { webhook } : {}) });
  return performance.now() - started;
}

describe("isolation: a receiver that never answers", () => {
  it("does not slow runs down (run latency with such a webhook stays close to none)", async () => {
    for (let i = 0; i < 5; i++) await timedWait(undefined); // warm-up
    const withDead: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < 30; i++) {
      withDead.push(await timedWait(`${dead.origin}/hook`));
      without.push(await timedWait(undefined));
    }
    // Its attempts are in flight (at most max_concurrency_per_origin), the rest wait in the outbox.
    expect(dead.requests.length).toBe(4);
    expect(median(withDead)).toBeLessThan(median(without) * 1.5 + 5);
  });

  it(`holds only its own per-origin slots: with more than ${MAX_IN_FLIGHT} of its deliveries due, another receiver is served at once`, async () => {
    const items = Array.from({ length: MAX_IN_FLIGHT + 20 }, (_, i) => ({ assistant_id: "echo", input: HUMAN(`b${i}`), webhook: `${dead.origin}/hook` }));
    const batch = await server.api("/runs/batch", { body: items });
    expect(batch.status).toBe(200);
    // Wait until those runs are done and their deliveries are due.
    await eventually(async () => {
      const { body } = await server.api(`/webhooks/deliveries?status=pending&limit=1000`);
      return body.length >= MAX_IN_FLIGHT + 20 + 30 ? true : undefined;
    }, 30_000, "the backlog of deliveries to the dead receiver");
    await sleep(100);
    expect(dead.connections()).toBeLessThanOrEqual(4);

    const live = await receiver();
    const run = await server.client.runs.create(null, "echo", { input: HUMAN("live"), webhook: `${live.origin}/hook` });
    const [request] = await live.waitFor(1, 5000);
    const payload = JSON.parse(request.body);
    expect(payload.run_id).toBe(run.run_id);
    expect(request.receivedAt - Date.parse(payload.run_ended_at)).toBeLessThan(500);
  });
});
