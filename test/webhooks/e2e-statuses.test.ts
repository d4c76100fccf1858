import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Receiver } from "./receiver.js";
import { deliveriesOf, disposeAll, eventually, receiver, sleep, startWebhookServer, type WebhookServer } from "./e2e-support.js";

// One server for the file: a 2 s run timeout, so the slow graph (5 steps of delay_ms) can time out.
let server: WebhookServer;
let r: Receiver;
beforeAll(async () => {
  r = await receiver();
  server = await startWebhookServer({ runTimeoutSeconds: 2 });
});
afterAll(disposeAll);

/** The payloads received for a run so far. */
const payloadsOf = (runId: string) => r.requests.map((request) => JSON.parse(request.body)).filter((payload) => payload.run_id === runId);

async function payloadOf(runId: string): Promise<any> {
  return eventually(async () => payloadsOf(runId)[0], 10_000, `the webhook of run ${runId}`);
}

async function slowRun(threadId: string, extra: Record<string, unknown> = {}, delayMs = 300): Promise<string> {
  const { status, body } = await server.api(`/threads/${threadId}/runs`, {
    body: { assistant_id: "slow", input: {}, config: { configurable: { delay_ms: delayMs } }, webhook: `${r.origin}/hook`, ...extra },
  });
  expect(status).toBe(200);
  return body.run_id;
}

async function waitRunning(threadId: string, runId: string): Promise<void> {
  await eventually(async () => ((await server.client.runs.get(threadId, runId)).status === "running" ? true : undefined), 5000, "the run to start");
  await sleep(100); // let it get past its first step
}

describe("the status a webhook reports, one delivery per run", () => {
  it("success, also for a graph paused by interrupt() (the thread is then interrupted)", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "interrupt", { input: { question: "go?" }, webhook: `${r.origin}/hook` });
    const payload = await payloadOf(run.run_id);
    expect(payload.status).toBe("success");
    expect(payload.error).toBeUndefined();
    expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
    const state = await server.client.threads.getState(thread.thread_id);
    expect(payload.values).toEqual(state.values);
    expect(payload.values.log).toEqual(["prepare:go?"]);
  });

  it("error, with error {error, message} from a throwing graph", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "error", { input: {}, webhook: `${r.origin}/hook` });
    const payload = await payloadOf(run.run_id);
    expect(payload.status).toBe("error");
    expect(payload.error).toEqual({ error: "FixtureFailure", message: "the fixture graph failed on purpose" });
    expect(Object.keys(payload).at(-1)).toBe("error");
  });

  it("timeout, when the run exceeds the run timeout", async () => {
    const thread = await server.client.threads.create();
    const runId = await slowRun(thread.thread_id, {}, 1000);
    const payload = await payloadOf(runId);
    expect(payload.status).toBe("timeout");
    expect(payload.error.error).toBe("TimeoutError");
    expect(Date.parse(payload.run_ended_at) - Date.parse(payload.run_started_at)).toBeGreaterThanOrEqual(1900);
  });

  it("interrupted, when a running run is cancelled", async () => {
    const thread = await server.client.threads.create();
    const runId = await slowRun(thread.thread_id);
    await waitRunning(thread.thread_id, runId);
    const cancel = await server.api(`/threads/${thread.thread_id}/runs/${runId}/cancel?wait=true`, { method: "POST" });
    expect(cancel.status).toBeLessThan(300);
    expect((await payloadOf(runId)).status).toBe("interrupted");
  });

  it("interrupted, when a newer run preempts it (multitask_strategy interrupt)", async () => {
    const thread = await server.client.threads.create();
    const first = await slowRun(thread.thread_id);
    await waitRunning(thread.thread_id, first);
    const second = await slowRun(thread.thread_id, { multitask_strategy: "interrupt" }, 10);
    expect((await payloadOf(first)).status).toBe("interrupted");
    expect((await payloadOf(second)).status).toBe("success");
  });

  it("rollback with values null, when a newer run rolls it back (multitask_strategy rollback)", async () => {
    const thread = await server.client.threads.create();
    const first = await slowRun(thread.thread_id);
    await waitRunning(thread.thread_id, first);
    const second = await slowRun(thread.thread_id, { multitask_strategy: "rollback" }, 10);
    const payload = await payloadOf(first);
    expect(payload.status).toBe("rollback");
    expect(payload.values).toBeNull();
    expect((await payloadOf(second)).status).toBe("success");
  });

  it("nothing for a pending run cancelled before it started", async () => {
    const thread = await server.client.threads.create();
    const running = await slowRun(thread.thread_id, {}, 100);
    const queued = await slowRun(thread.thread_id, { multitask_strategy: "enqueue" }, 10);
    expect((await server.client.runs.get(thread.thread_id, queued)).status).toBe("pending");
    expect((await server.api(`/threads/${thread.thread_id}/runs/${queued}/cancel`, { method: "POST" })).status).toBeLessThan(300);
    expect((await payloadOf(running)).status).toBe("success");
    await sleep(300);
    expect(payloadsOf(queued)).toHaveLength(0);
    expect(await deliveriesOf(server, queued)).toEqual([]);
  });

  it("made exactly one delivery per finished run (never one per retry or per reader)", async () => {
    const { body } = await server.api("/webhooks/deliveries?limit=1000");
    const perRun = new Map<string, number>();
    for (const delivery of body) perRun.set(delivery.run_id, (perRun.get(delivery.run_id) ?? 0) + 1);
    expect(perRun.size).toBeGreaterThanOrEqual(9);
    for (const [runId, count] of perRun) expect(count, runId).toBe(1);
    for (const runId of perRun.keys()) expect(payloadsOf(runId), runId).toHaveLength(1);
  });
});
