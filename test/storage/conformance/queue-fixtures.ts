/**
 * Runs and deliveries for the queue's conformance tests, written through the repositories as the
 * server writes them. The tests of one file share its database, and a claim takes whatever is
 * due, so each test leaves the queue empty (`drainQueue`).
 */
import { randomUUID } from "node:crypto";
import type { LeaseRequest, RunCreate, Storage } from "../../../src/storage/storage.js";
import type { DeliveryAttempt, QueuedRun } from "../../../src/storage/types.js";

export function lease(owner = "test:1:main", leaseMs = 60_000): LeaseRequest {
  return { owner, leaseMs };
}

export function runInput(overrides: Partial<RunCreate> = {}): RunCreate {
  return {
    run_id: randomUUID(),
    thread_id: randomUUID(),
    assistant_id: randomUUID(),
    metadata: { source: "test" },
    kwargs: { input: { messages: ["hi"] }, config: { configurable: { k: 1 } } },
    multitask_strategy: "enqueue",
    stateless: false,
    on_completion: null,
    create_thread: true,
    thread_metadata: { graph_id: "echo" },
    ...overrides,
  };
}

export async function createRun(storage: Storage, overrides: Partial<RunCreate> = {}): Promise<QueuedRun> {
  return (await storage.runs.create(runInput(overrides))).run;
}

/** A delivery in the outbox, written as a run's end writes it (due at once). */
export async function createDelivery(storage: Storage, url: string): Promise<string> {
  const run = await createRun(storage);
  const deliveryId = randomUUID();
  await storage.runs.finish(run.run_id, { status: "success", delivery: { delivery_id: deliveryId, url, payload: { run_id: run.run_id } } });
  return deliveryId;
}

export function attempt(n: number, statusCode: number | null, trigger: DeliveryAttempt["trigger"] = "automatic"): DeliveryAttempt {
  const ok = statusCode !== null && statusCode < 300;
  return {
    attempt: n,
    trigger,
    started_at: new Date().toISOString(),
    duration_ms: 2.5,
    status_code: statusCode,
    error: ok ? null : `HTTP ${statusCode}`,
    response_excerpt: ok ? null : "try later",
  };
}

const FAR_FUTURE = new Date(Date.now() + 365 * 24 * 3600_000);

/** Ends every pending and running run and every pending delivery, whoever holds them. */
export async function drainQueue(storage: Storage): Promise<void> {
  for (const runId of await storage.runs.findActive({ status: "all" })) await storage.runs.finish(runId, { status: "interrupted" });
  await storage.deliveries.releaseLeases();
  for (;;) {
    const claimed = await storage.deliveries.claimDue({
      finished: [],
      limit: 1000,
      now: FAR_FUTURE,
      lease: lease("test:drain"),
      perOrigin: 1000,
      busy: new Map(),
    });
    if (claimed.length === 0) return;
    for (const delivery of claimed) await storage.deliveries.recordAttempt(delivery.delivery_id, attempt(delivery.attempt_count + 1, 410), { status: "failed" });
  }
}
