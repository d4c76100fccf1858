import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { openSqliteStorage, type SqliteStorage } from "../../src/storage/sqlite/index.js";
import type { DeliveryAttempt, RunStatus } from "../../src/storage/types.js";
import { tempDataDir } from "../helpers/server.js";

// The dashboard's queries on a real SQLite file, with runs and deliveries written by the same
// repository operations the server uses.

let dir: string;
let storage: SqliteStorage;

beforeEach(() => {
  dir = tempDataDir();
  storage = openSqliteStorage(dir);
});

afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const ASSISTANT_A = randomUUID();
const ASSISTANT_B = randomUUID();

async function run(options: { thread?: string; assistant?: string; status?: Exclude<RunStatus, "pending" | "running">; webhook?: boolean }) {
  const runId = randomUUID();
  const threadId = options.thread ?? randomUUID();
  await storage.runs.create({
    run_id: runId,
    thread_id: threadId,
    assistant_id: options.assistant ?? ASSISTANT_A,
    metadata: {},
    kwargs: {},
    multitask_strategy: "enqueue",
    stateless: false,
    on_completion: null,
    create_thread: true,
    thread_metadata: {},
  });
  const deliveryId = randomUUID();
  if (options.status) {
    await storage.runs.finish(runId, {
      status: options.status,
      ...(options.webhook ? { delivery: { delivery_id: deliveryId, url: "http://127.0.0.1:1/hook?token=s3cret", payload: {} } } : {}),
    });
  }
  return { runId, threadId, deliveryId };
}

function attempt(n: number, at: string, status_code: number | null, trigger: DeliveryAttempt["trigger"] = "automatic"): DeliveryAttempt {
  const ok = status_code !== null && status_code < 300;
  return { attempt: n, trigger, started_at: at, duration_ms: 3, status_code, error: ok ? null : status_code ? `HTTP ${status_code}` : "connection refused", response_excerpt: null };
}

const retryLater = { status: "pending" as const, next_attempt_at: new Date(Date.now() + 60_000) };

describe("run browser", () => {
  it("lists runs of every thread newest first, with filters and pages", async () => {
    const thread = randomUUID();
    const first = await run({ thread, status: "success" });
    const second = await run({ assistant: ASSISTANT_B, status: "error" });
    const third = await run({ thread }); // still pending
    const page = (query: object) => storage.runBrowser.list({ limit: 10, offset: 0, ...query }).then((runs) => runs.map((r) => r.run_id));

    expect(await page({})).toEqual([third.runId, second.runId, first.runId]);
    expect(await page({ limit: 1, offset: 1 })).toEqual([second.runId]);
    expect(await page({ thread_id: thread })).toEqual([third.runId, first.runId]);
    expect(await page({ assistant_id: ASSISTANT_B })).toEqual([second.runId]);
    expect(await page({ status: "pending", thread_id: thread })).toEqual([third.runId]);
    expect(await page({ status: "error", assistant_id: ASSISTANT_A })).toEqual([]);

    const [listed] = await storage.runBrowser.list({ limit: 1, offset: 2 });
    expect(listed).toMatchObject({ run_id: first.runId, status: "success", delivery: null });
    expect(listed.ended_at).not.toBeNull();
  });

  it("counts runs by status under the other filters, every status present", async () => {
    const thread = randomUUID();
    await run({ thread, status: "success" });
    await run({ thread, status: "success" });
    await run({ status: "error", assistant: ASSISTANT_B });
    await run({ thread });

    expect(await storage.runBrowser.countByStatus({})).toEqual({ pending: 1, running: 0, success: 2, error: 1, timeout: 0, interrupted: 0 });
    expect(await storage.runBrowser.countByStatus({ thread_id: thread })).toMatchObject({ pending: 1, success: 2, error: 0 });
    expect(await storage.runBrowser.countByStatus({ assistant_id: ASSISTANT_B })).toMatchObject({ pending: 0, success: 0, error: 1 });
  });

  it("finds the deliveries failing now: retrying first, then given up, each newest attempt first", async () => {
    const ok = await run({ status: "success", webhook: true });
    const retryingOld = await run({ status: "success", webhook: true });
    const retryingNew = await run({ status: "success", webhook: true });
    const gaveUp = await run({ status: "error", webhook: true });
    const recovered = await run({ status: "success", webhook: true });
    const untried = await run({ status: "success", webhook: true });

    await storage.deliveries.recordAttempt(ok.deliveryId, attempt(1, "2030-01-01T00:00:01.000Z", 200), { status: "succeeded" });
    await storage.deliveries.recordAttempt(retryingOld.deliveryId, attempt(1, "2030-01-01T00:00:02.000Z", 503), retryLater);
    await storage.deliveries.recordAttempt(retryingNew.deliveryId, attempt(1, "2030-01-01T00:00:03.000Z", null), retryLater);
    await storage.deliveries.recordAttempt(gaveUp.deliveryId, attempt(1, "2030-01-01T00:00:09.000Z", 410), { status: "failed" });
    await storage.deliveries.recordAttempt(recovered.deliveryId, attempt(1, "2030-01-01T00:00:04.000Z", 500), retryLater);
    await storage.deliveries.recordAttempt(recovered.deliveryId, attempt(2, "2030-01-01T00:00:05.000Z", 204), { status: "succeeded" });
    // A succeeded delivery asked to go again is pending, but not failing.
    await storage.deliveries.redeliver(ok.deliveryId);

    const failing = await storage.runBrowser.failingDeliveries(10);
    expect(failing.map((d) => d.run_id)).toEqual([retryingNew.runId, retryingOld.runId, gaveUp.runId]);
    expect(failing[0]).toMatchObject({ status: "pending", attempt_count: 1, last_attempt: { status_code: null, error: "connection refused" } });
    expect(failing[0].next_attempt_at).not.toBeNull();
    expect(failing[2]).toMatchObject({ status: "failed", next_attempt_at: null, last_attempt: { status_code: 410 } });
    expect(await storage.runBrowser.failingDeliveries(1)).toHaveLength(1);

    expect(await storage.runBrowser.deliveryCounts()).toEqual({ pending: 4, succeeded: 1, failed: 1, retrying: 2 });

    const byRun = new Map((await storage.runBrowser.list({ limit: 10, offset: 0 })).map((r) => [r.run_id, r.delivery]));
    expect(byRun.get(retryingOld.runId)).toMatchObject({ status: "pending", attempt_count: 1, failing: true });
    expect(byRun.get(gaveUp.runId)).toMatchObject({ status: "failed", failing: true });
    expect(byRun.get(recovered.runId)).toMatchObject({ status: "succeeded", attempt_count: 2, failing: false });
    expect(byRun.get(ok.runId)).toMatchObject({ status: "pending", failing: false });
    expect(byRun.get(untried.runId)).toMatchObject({ status: "pending", attempt_count: 0, failing: false });
  });
});
