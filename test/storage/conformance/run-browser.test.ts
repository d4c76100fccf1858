import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import { RUN_STATUSES } from "../../../src/storage/storage.js";
import type { DeliveryAttempt, RunStatus } from "../../../src/storage/types.js";
import { describeStorage, type StorageUnderTest } from "./backends.js";

// The dashboard's queries, over runs and deliveries written by the same repository operations the
// server uses. Counts and lists span the whole database: each describeStorage has its own.

function writer(backend: StorageUnderTest) {
  return async function run(options: {
    thread?: string;
    assistant: string;
    status?: Exclude<RunStatus, "pending" | "running">;
    webhook?: boolean;
  }) {
    const runId = randomUUID();
    const threadId = options.thread ?? randomUUID();
    await backend.storage().runs.create({
      run_id: runId,
      thread_id: threadId,
      assistant_id: options.assistant,
      metadata: { n: 1 },
      kwargs: { input: { x: 1 } },
      multitask_strategy: "enqueue",
      stateless: false,
      on_completion: null,
      create_thread: true,
      thread_metadata: {},
    });
    const deliveryId = randomUUID();
    if (options.status) {
      await backend.storage().runs.finish(runId, {
        status: options.status,
        ...(options.webhook ? { delivery: { delivery_id: deliveryId, url: "http://127.0.0.1:1/hook?token=s3cret", payload: {} } } : {}),
      });
    }
    return { runId, threadId, deliveryId };
  };
}

function attempt(n: number, at: string, statusCode: number | null): DeliveryAttempt {
  const ok = statusCode !== null && statusCode < 300;
  return {
    attempt: n,
    trigger: "automatic",
    started_at: at,
    duration_ms: 3,
    status_code: statusCode,
    error: ok ? null : statusCode ? `HTTP ${statusCode}` : "connection refused",
    response_excerpt: null,
  };
}

const retryLater = () => ({ status: "pending" as const, next_attempt_at: new Date(Date.now() + 60_000) });

describeStorage("run browser: runs", (backend) => {
  const run = writer(backend);
  const A = randomUUID();
  const B = randomUUID();

  test("lists runs of every thread newest first, as the run repository reads them, with filters, offsets and keyset pages", async () => {
    const thread = randomUUID();
    const first = await run({ thread, assistant: A, status: "success" });
    const second = await run({ assistant: B, status: "error" });
    const third = await run({ thread, assistant: A });
    const ids = (query: object) => backend.storage().runBrowser.list({ limit: 10, offset: 0, ...query }).then((runs) => runs.map((r) => r.run_id));

    expect(await ids({})).toEqual([third.runId, second.runId, first.runId]);
    expect(await ids({ limit: 1, offset: 1 })).toEqual([second.runId]);
    expect(await ids({ before: third.runId })).toEqual([second.runId, first.runId]);
    expect(await ids({ before: second.runId, limit: 1 })).toEqual([first.runId]);
    expect(await ids({ before: first.runId })).toEqual([]);
    expect(await ids({ before: randomUUID() })).toEqual([]);
    expect(await ids({ thread_id: thread })).toEqual([third.runId, first.runId]);
    expect(await ids({ thread_id: thread, before: third.runId })).toEqual([first.runId]);
    expect(await ids({ assistant_id: B })).toEqual([second.runId]);
    expect(await ids({ status: "pending", thread_id: thread })).toEqual([third.runId]);
    expect(await ids({ status: "error", assistant_id: A })).toEqual([]);

    const [listed] = await backend.storage().runBrowser.list({ limit: 1, offset: 2 });
    expect(listed).toEqual({ ...(await backend.storage().runs.get(first.runId)), delivery: null });
    expect(listed).toMatchObject({ status: "success", metadata: { n: 1 }, kwargs: { input: { x: 1 } } });
    expect(listed.ended_at).not.toBeNull();
  });

  test("counts runs by status under the other filters, every status present, kept as runs change", async () => {
    const C = randomUUID();
    const thread = randomUUID();
    await run({ thread, assistant: C, status: "success" });
    const removed = await run({ thread, assistant: C, status: "success" });
    await run({ assistant: C, status: "error" });
    await run({ thread, assistant: C });
    const counts = (query: object) => backend.storage().runBrowser.countByStatus(query);

    expect(await counts({ assistant_id: C })).toEqual({ pending: 1, running: 0, success: 2, error: 1, timeout: 0, interrupted: 0 });
    expect(await counts({ thread_id: thread })).toEqual({ pending: 1, running: 0, success: 2, error: 0, timeout: 0, interrupted: 0 });
    expect(await counts({ thread_id: thread, assistant_id: A })).toMatchObject({ pending: 0, success: 0 });
    await backend.storage().runs.delete(removed.runId, thread);
    expect(await counts({ assistant_id: C })).toMatchObject({ pending: 1, success: 1, error: 1 });
    // Without filters: every assistant's runs (this file's tests made runs of A, B and C).
    const perAssistant = await Promise.all([A, B, C].map((assistant_id) => counts({ assistant_id })));
    const total = Object.fromEntries(RUN_STATUSES.map((status) => [status, perAssistant.reduce((sum, each) => sum + each[status], 0)]));
    expect(await counts({})).toEqual(total);
    expect(total.success).toBeGreaterThan(0);
  });
});

describeStorage("run browser: deliveries", (backend) => {
  const run = writer(backend);
  const A = randomUUID();

  test("finds the deliveries failing now: retrying first, then given up, each newest attempt first; counts them", async () => {
    const browser = () => backend.storage().runBrowser;
    const deliveries = () => backend.storage().deliveries;
    expect(await browser().deliveryCounts()).toEqual({ pending: 0, succeeded: 0, failed: 0, retrying: 0 });
    const ok = await run({ assistant: A, status: "success", webhook: true });
    const retryingOld = await run({ assistant: A, status: "success", webhook: true });
    const retryingNew = await run({ assistant: A, status: "success", webhook: true });
    const gaveUp = await run({ assistant: A, status: "error", webhook: true });
    const recovered = await run({ assistant: A, status: "success", webhook: true });
    const untried = await run({ assistant: A, status: "success", webhook: true });

    await deliveries().recordAttempt(ok.deliveryId, attempt(1, "2030-01-01T00:00:01.000Z", 200), { status: "succeeded" });
    await deliveries().recordAttempt(retryingOld.deliveryId, attempt(1, "2030-01-01T00:00:02.000Z", 503), retryLater());
    await deliveries().recordAttempt(retryingNew.deliveryId, attempt(1, "2030-01-01T00:00:03.000Z", null), retryLater());
    await deliveries().recordAttempt(gaveUp.deliveryId, attempt(1, "2030-01-01T00:00:09.000Z", 410), { status: "failed" });
    await deliveries().recordAttempt(recovered.deliveryId, attempt(1, "2030-01-01T00:00:04.000Z", 500), retryLater());
    await deliveries().recordAttempt(recovered.deliveryId, attempt(2, "2030-01-01T00:00:05.000Z", 204), { status: "succeeded" });
    // A succeeded delivery asked to go again is pending, but not failing.
    await deliveries().redeliver(ok.deliveryId);

    const failing = await browser().failingDeliveries(10);
    expect(failing.map((d) => d.run_id)).toEqual([retryingNew.runId, retryingOld.runId, gaveUp.runId]);
    expect(failing[0]).toEqual({
      delivery_id: retryingNew.deliveryId,
      run_id: retryingNew.runId,
      thread_id: retryingNew.threadId,
      url: "http://127.0.0.1:1/hook?token=s3cret",
      status: "pending",
      attempt_count: 1,
      next_attempt_at: expect.any(String),
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_attempt: { attempt: 1, started_at: "2030-01-01T00:00:03.000Z", status_code: null, error: "connection refused" },
    });
    expect(failing[2]).toMatchObject({ status: "failed", next_attempt_at: null, last_attempt: { status_code: 410, error: "HTTP 410" } });
    expect((await browser().failingDeliveries(1)).map((d) => d.run_id)).toEqual([retryingNew.runId]);

    expect(await browser().deliveryCounts()).toEqual({ pending: 4, succeeded: 1, failed: 1, retrying: 2 });

    const byRun = new Map((await browser().list({ limit: 10, offset: 0 })).map((r) => [r.run_id, r.delivery]));
    expect(byRun.get(retryingOld.runId)).toEqual({ delivery_id: retryingOld.deliveryId, status: "pending", attempt_count: 1, failing: true });
    expect(byRun.get(gaveUp.runId)).toMatchObject({ status: "failed", failing: true });
    expect(byRun.get(recovered.runId)).toMatchObject({ status: "succeeded", attempt_count: 2, failing: false });
    expect(byRun.get(ok.runId)).toMatchObject({ status: "pending", failing: false });
    expect(byRun.get(untried.runId)).toMatchObject({ status: "pending", attempt_count: 0, failing: false });
  });
});
