import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterEach, expect, test } from "vitest";
import type { ClaimedRun, Storage } from "../../../src/storage/storage.js";
import type { PostgresStorage } from "../../../src/storage/postgres/index.js";
import { describeStorage, type StorageUnderTest } from "./backends.js";
import { createRun, drainQueue, lease, runInput } from "./queue-fixtures.js";

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ids = (runs: readonly { run_id: string }[]) => runs.map((run) => run.run_id);
const later = (ms: number) => new Date(Date.now() + ms);

/** A second process on PostgreSQL; on the embedded database (one owner) the same storage plays both parts. */
const secondProcess = (backend: StorageUnderTest): Promise<Storage> =>
  backend.dialect === "postgres" ? backend.another() : Promise.resolve(backend.storage());

describeStorage("runs: create and the multitask strategies", (backend) => {
  const storage = () => backend.storage();
  afterEach(() => drainQueue(storage()));

  test("create stores a pending run and its new thread; the next run on the thread merges its metadata", async () => {
    const input = runInput({ thread_metadata: { graph_id: "echo", first: 1 } });
    const { run, preempted } = await storage().runs.create(input);
    expect(preempted).toEqual([]);
    expect(run).toEqual({
      run_id: input.run_id,
      thread_id: input.thread_id,
      assistant_id: input.assistant_id,
      status: "pending",
      metadata: input.metadata,
      kwargs: input.kwargs,
      multitask_strategy: "enqueue",
      created_at: expect.stringMatching(ISO_MS_UTC),
      updated_at: run.created_at,
      stateless: false,
      on_completion: null,
      attempt: 0,
      started_at: null,
      ended_at: null,
    });
    expect(await storage().runs.get(run.run_id)).toEqual(run);
    expect(await storage().runs.get(run.run_id, input.thread_id)).toEqual(run);
    expect(await storage().runs.get(run.run_id, randomUUID())).toBeUndefined();
    expect(await storage().threads.get(input.thread_id)).toMatchObject({ status: "idle", metadata: { graph_id: "echo", first: 1 } });

    await createRun(storage(), { thread_id: input.thread_id, create_thread: false, thread_metadata: { graph_id: "other", second: 2 } });
    expect((await storage().threads.get(input.thread_id))!.metadata).toEqual({ graph_id: "other", first: 1, second: 2 });
  });

  test("a run on a missing thread is a 404 unless create_thread asks for it, and writes nothing", async () => {
    const input = runInput({ create_thread: false });
    await expect(storage().runs.create(input)).rejects.toMatchObject({ statusCode: 404, message: `thread ${input.thread_id} not found` });
    expect(await storage().threads.get(input.thread_id)).toBeUndefined();
    expect(await storage().runs.get(input.run_id)).toBeUndefined();
  });

  test("reject is a 409 naming the thread's active run, pending or running, and writes nothing", async () => {
    const first = await createRun(storage());
    const busy = `thread ${first.thread_id} is busy with run ${first.run_id}; multitask_strategy is "reject"`;
    const rejected = runInput({ thread_id: first.thread_id, multitask_strategy: "reject", thread_metadata: { rejected: true } });
    await expect(storage().runs.create(rejected)).rejects.toMatchObject({ statusCode: 409, message: busy });
    const [claimed] = await storage().runs.claim(1, new Date(), lease());
    expect(claimed.run_id).toBe(first.run_id);
    await expect(storage().runs.create(rejected)).rejects.toMatchObject({ statusCode: 409, message: busy });
    expect(await storage().runs.get(rejected.run_id)).toBeUndefined();
    expect((await storage().threads.get(first.thread_id))!.metadata).not.toHaveProperty("rejected");

    expect(await storage().runs.finish(first.run_id, { status: "success" }, claimed.lease_id)).toBe(true);
    expect((await storage().runs.create(rejected)).run.status).toBe("pending");
  });

  test("interrupt and rollback answer every active run of the thread as preempted, oldest first; enqueue none", async () => {
    const running = await createRun(storage());
    await storage().runs.claim(1, new Date(), lease());
    const pending = await createRun(storage(), { thread_id: running.thread_id });
    const interrupting = await storage().runs.create(runInput({ thread_id: running.thread_id, multitask_strategy: "interrupt" }));
    expect(interrupting.preempted).toEqual([
      { run_id: running.run_id, action: "interrupt" },
      { run_id: pending.run_id, action: "interrupt" },
    ]);
    const rollingBack = await storage().runs.create(runInput({ thread_id: running.thread_id, multitask_strategy: "rollback" }));
    expect(rollingBack.preempted).toEqual(
      [running.run_id, pending.run_id, interrupting.run.run_id].map((run_id) => ({ run_id, action: "rollback" })),
    );
    expect((await storage().runs.create(runInput({ thread_id: running.thread_id }))).preempted).toEqual([]);
    expect(ids(await storage().runs.inflight(running.thread_id))).toHaveLength(5);
  });
});

describeStorage("runs: the queue", (backend) => {
  const storage = () => backend.storage();
  afterEach(() => drainQueue(storage()));

  test("claim takes the oldest due run of each thread that has none running, under a new lease, and marks the thread busy", async () => {
    const a1 = await createRun(storage());
    const b1 = await createRun(storage());
    const a2 = await createRun(storage(), { thread_id: a1.thread_id });
    const delayed = await createRun(storage(), { after_seconds: 60 });
    expect(await storage().runs.claim(0, new Date(), lease())).toEqual([]);

    const claimed = await storage().runs.claim(10, new Date(), lease());
    expect(ids(claimed)).toEqual([a1.run_id, b1.run_id]);
    for (const run of claimed) {
      expect(run).toMatchObject({ status: "running", attempt: 1, cancel_action: null, resumed: false, ended_at: null });
      expect(run.started_at).toMatch(ISO_MS_UTC);
      expect(run.lease_id).toEqual(expect.any(String));
      expect(await storage().runs.get(run.run_id)).toMatchObject({ status: "running", attempt: 1, started_at: run.started_at });
    }
    expect(claimed[0].lease_id).not.toBe(claimed[1].lease_id);
    expect((await storage().threads.get(a1.thread_id))!.status).toBe("busy");
    // a2 waits for a1; the delayed run is not due.
    expect(await storage().runs.claim(10, new Date(), lease())).toEqual([]);

    await storage().runs.finish(a1.run_id, { status: "success", thread: { status: "idle" } }, claimed[0].lease_id);
    expect(ids(await storage().runs.claim(10, new Date(), lease()))).toEqual([a2.run_id]);
    expect(ids(await storage().runs.claim(10, later(61_000), lease()))).toEqual([delayed.run_id]);
  });

  test("nextDue answers the earliest pending run due later; queueStats counts the due ones", async () => {
    const delayed = await createRun(storage(), { after_seconds: 30 });
    await createRun(storage(), { after_seconds: 90 });
    await createRun(storage());
    await createRun(storage());
    expect((await storage().runs.nextDue(later(1_000)))!.getTime()).toBe(Date.parse(delayed.created_at) + 30_000);
    expect(await storage().runs.nextDue(later(120_000))).toBeUndefined();

    const stats = await storage().runs.queueStats(new Date());
    expect(stats.due).toBe(2);
    expect(stats.oldestDueAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await storage().runs.queueStats(later(60_000))).due).toBe(3);
    await storage().runs.claim(10, new Date(), lease());
    expect(await storage().runs.queueStats(new Date())).toEqual({ due: 0, oldestDueAt: undefined });
  });

  test("finish writes the run's end, the thread's state and one webhook row; a second finish writes nothing", async () => {
    const run = await createRun(storage());
    const [claimed] = await storage().runs.claim(1, new Date(), lease());
    const delivery = { delivery_id: randomUUID(), url: "http://127.0.0.1:9/hook", payload: { run_id: run.run_id } };
    const thread = { status: "idle" as const, values: { answer: 42 }, interrupts: {} };
    expect(await storage().runs.finish(run.run_id, { status: "success", thread, delivery }, claimed.lease_id)).toBe(true);
    const ended = await storage().runs.get(run.run_id);
    expect(ended).toMatchObject({ status: "success", attempt: 1 });
    expect(ended!.ended_at).toMatch(ISO_MS_UTC);
    expect(await storage().threads.get(run.thread_id)).toMatchObject({ status: "idle", values: { answer: 42 }, interrupts: {} });

    const again = { status: "error" as const, thread: { status: "error" as const }, delivery: { ...delivery, delivery_id: randomUUID() } };
    expect(await storage().runs.finish(run.run_id, again, claimed.lease_id)).toBe(false);
    expect(await storage().runs.finish(run.run_id, again)).toBe(false);
    expect(await storage().runs.finish(randomUUID(), again)).toBe(false);
    expect((await storage().runs.get(run.run_id))!.status).toBe("success");
    expect((await storage().threads.get(run.thread_id))!.status).toBe("idle");
    expect((await storage().deliveries.list({ run_id: run.run_id, limit: 10, offset: 0 })).map((d) => d.delivery_id)).toEqual([
      delivery.delivery_id,
    ]);
  });

  test("finish deletes a rolled-back run, or a temporary thread with its runs", async () => {
    const rolledBack = await createRun(storage());
    const [claimed] = await storage().runs.claim(1, new Date(), lease());
    expect(await storage().runs.finish(rolledBack.run_id, { status: "interrupted", delete_run: true, thread: { status: "idle" } }, claimed.lease_id)).toBe(true);
    expect(await storage().runs.get(rolledBack.run_id)).toBeUndefined();
    expect((await storage().threads.get(rolledBack.thread_id))!.status).toBe("idle");

    const stateless = await createRun(storage(), { stateless: true, on_completion: "delete" });
    expect(await storage().runs.finish(stateless.run_id, { status: "success", delete_thread: true })).toBe(true);
    expect(await storage().threads.get(stateless.thread_id)).toBeUndefined();
    expect(await storage().runs.get(stateless.run_id)).toBeUndefined();
  });

  test("a finish under a lease that was lost writes nothing; the new holder's finish writes the one webhook row", async () => {
    const other = await secondProcess(backend);
    const run = await createRun(storage());
    const [stale] = await storage().runs.claim(1, new Date(), lease("test:1:paused", 0));
    // The first holder's lease lapsed; another process's sweeper takes the run back and a claimer takes it.
    expect((await other.runs.reclaim({ scope: "expired", maxAttempts: 3, lease: lease("test:2:sweeper") })).requeued).toBe(1);
    const [current] = await other.runs.claim(1, new Date(), lease("test:2:worker"));
    expect(current).toMatchObject({ run_id: run.run_id, attempt: 2, resumed: true });
    expect(current.lease_id).not.toBe(stale.lease_id);

    const delivery = (id: string) => ({ delivery_id: id, url: "http://127.0.0.1:9/hook", payload: {} });
    const staleDelivery = randomUUID();
    expect(await storage().runs.heartbeat("test:1:paused", [stale.lease_id], 60_000)).toEqual({ held: [], cancels: [] });
    expect(await storage().runs.finish(run.run_id, { status: "error", thread: { status: "error" }, delivery: delivery(staleDelivery) }, stale.lease_id)).toBe(false);
    expect(await storage().runs.get(run.run_id)).toMatchObject({ status: "running" });
    expect((await storage().threads.get(run.thread_id))!.status).toBe("busy");
    expect(await storage().deliveries.get(staleDelivery)).toBeUndefined();

    const currentDelivery = randomUUID();
    expect(await other.runs.finish(run.run_id, { status: "success", thread: { status: "idle" }, delivery: delivery(currentDelivery) }, current.lease_id)).toBe(true);
    expect((await storage().deliveries.list({ run_id: run.run_id, limit: 10, offset: 0 })).map((d) => d.delivery_id)).toEqual([currentDelivery]);
  });

  test("heartbeat renews the owner's leases still held and reports the cancels recorded for them", async () => {
    const first = await createRun(storage());
    const second = await createRun(storage());
    const pending = await createRun(storage(), { thread_id: first.thread_id });
    const claimed = await storage().runs.claim(2, new Date(), lease("test:1:hb", 0));
    const leases = claimed.map((run) => run.lease_id);
    expect(await storage().runs.requestCancel(first.run_id, "rollback")).toBe(true);
    expect(await storage().runs.requestCancel(pending.run_id, "interrupt")).toBe(false);
    expect(await storage().runs.requestCancel(randomUUID(), "interrupt")).toBe(false);

    const beat = await storage().runs.heartbeat("test:1:hb", [...leases, randomUUID()], 60_000);
    expect([...beat.held].sort()).toEqual([...leases].sort());
    expect(beat.cancels).toEqual([{ run_id: first.run_id, action: "rollback" }]);
    expect(await storage().runs.heartbeat("test:1:someone-else", leases, 60_000)).toEqual({ held: [], cancels: [] });
    expect(await storage().runs.heartbeat("test:1:hb", [], 60_000)).toEqual({ held: [], cancels: [] });
    // Claimed with no time to spare, then renewed for a minute: the sweeper leaves them alone.
    expect(await storage().runs.reclaim({ scope: "expired", maxAttempts: 3, lease: lease() })).toEqual({ requeued: 0, exhausted: [] });
    expect(ids(claimed).sort()).toEqual([first.run_id, second.run_id].sort());
  });

  test("release hands runs back pending and due without spending an attempt; the next claim resumes them", async () => {
    const run = await createRun(storage());
    const [first] = await storage().runs.claim(1, new Date(), lease());
    expect(await storage().runs.release([first.lease_id, randomUUID()])).toBe(1);
    expect(await storage().runs.release([first.lease_id])).toBe(0);
    expect(await storage().runs.release([])).toBe(0);
    expect(await storage().runs.get(run.run_id)).toMatchObject({ status: "pending", attempt: 0, started_at: first.started_at });
    expect(await storage().runs.heartbeat("test:1:main", [first.lease_id], 60_000)).toEqual({ held: [], cancels: [] });

    const [second] = await storage().runs.claim(1, new Date(), lease());
    expect(second).toMatchObject({ run_id: run.run_id, attempt: 1, resumed: true, started_at: first.started_at });
    expect(await storage().runs.finish(run.run_id, { status: "success" }, first.lease_id)).toBe(false);
    expect(await storage().runs.finish(run.run_id, { status: "success" }, second.lease_id)).toBe(true);
  });

  test("a cancel recorded while running survives a hand-back: the next claim carries it", async () => {
    const run = await createRun(storage());
    const [first] = await storage().runs.claim(1, new Date(), lease());
    await storage().runs.requestCancel(run.run_id, "interrupt");
    await storage().runs.release([first.lease_id]);
    const [again] = await storage().runs.claim(1, new Date(), lease());
    expect(again).toMatchObject({ run_id: run.run_id, cancel_action: "interrupt" });
  });

  test("reclaim takes back expired leases; a run claimed maxAttempts times is leased to the reclaimer to end", async () => {
    const run = await createRun(storage());
    const held = await createRun(storage());
    await storage().runs.claim(1, new Date(), lease("test:1:dead", 0));
    await storage().runs.claim(1, new Date(), lease("test:1:alive", 60_000));
    const sweeper = lease("test:2:sweeper");
    expect(await storage().runs.reclaim({ scope: "expired", maxAttempts: 2, lease: sweeper })).toEqual({ requeued: 1, exhausted: [] });
    expect(await storage().runs.get(run.run_id)).toMatchObject({ status: "pending", attempt: 1 });
    expect((await storage().runs.get(held.run_id))!.status).toBe("running");

    const [second] = await storage().runs.claim(1, new Date(), lease("test:1:dead", 0));
    expect(second).toMatchObject({ run_id: run.run_id, attempt: 2 });
    const { requeued, exhausted } = await storage().runs.reclaim({ scope: "expired", maxAttempts: 2, lease: sweeper });
    expect(requeued).toBe(0);
    expect(exhausted).toEqual([
      expect.objectContaining({ run_id: run.run_id, status: "running", attempt: 2, resumed: true, cancel_action: null }),
    ]);
    expect(exhausted[0].lease_id).not.toBe(second.lease_id);
    expect(await storage().runs.heartbeat("test:2:sweeper", [exhausted[0].lease_id], 60_000)).toMatchObject({ held: [exhausted[0].lease_id] });
    expect(await storage().runs.finish(run.run_id, { status: "error", thread: { status: "error" } }, second.lease_id)).toBe(false);
    expect(await storage().runs.finish(run.run_id, { status: "error", thread: { status: "error" } }, exhausted[0].lease_id)).toBe(true);

    // Scope "all": the embedded database's start-up takes back every running run, held or not.
    expect(await storage().runs.reclaim({ scope: "all", maxAttempts: 3, lease: sweeper })).toEqual({ requeued: 1, exhausted: [] });
    expect(await storage().runs.get(held.run_id)).toMatchObject({ status: "pending", attempt: 1 });
  });

  test("cancelPending ends a pending run as interrupted, or removes it on rollback; a running run is left alone", async () => {
    const interrupted = await createRun(storage());
    const rolledBack = await createRun(storage());
    const running = await createRun(storage());
    expect(await storage().runs.cancelPending(interrupted.run_id, "interrupt")).toEqual(interrupted);
    const ended = await storage().runs.get(interrupted.run_id);
    expect(ended).toMatchObject({ status: "interrupted", attempt: 0 });
    expect(ended!.ended_at).toMatch(ISO_MS_UTC);
    expect(await storage().runs.cancelPending(rolledBack.run_id, "rollback")).toEqual(rolledBack);
    expect(await storage().runs.get(rolledBack.run_id)).toBeUndefined();

    expect(ids(await storage().runs.claim(1, new Date(), lease()))).toEqual([running.run_id]);
    expect(await storage().runs.cancelPending(running.run_id, "interrupt")).toBeUndefined();
    expect(await storage().runs.cancelPending(interrupted.run_id, "interrupt")).toBeUndefined();
    expect((await storage().runs.get(running.run_id))!.status).toBe("running");
  });

  test("delete removes an ended run: 404 for another thread's, 409 while active", async () => {
    const run = await createRun(storage());
    await expect(storage().runs.delete(run.run_id, randomUUID())).rejects.toMatchObject({ statusCode: 404 });
    await expect(storage().runs.delete(run.run_id, run.thread_id)).rejects.toMatchObject({ statusCode: 409, message: `run ${run.run_id} is pending; cancel it before deleting it` });
    await storage().runs.finish(run.run_id, { status: "interrupted" });
    await storage().runs.delete(run.run_id, run.thread_id);
    expect(await storage().runs.get(run.run_id)).toBeUndefined();
  });

  test("list pages a thread's runs newest first in their API shape, by status; 404 for a missing thread", async () => {
    const first = await createRun(storage());
    const second = await createRun(storage(), { thread_id: first.thread_id });
    const third = await createRun(storage(), { thread_id: first.thread_id });
    await storage().runs.finish(second.run_id, { status: "success" });
    const page = (query: object) => storage().runs.list(first.thread_id, { limit: 10, offset: 0, ...query });
    expect(ids(await page({}))).toEqual([third.run_id, second.run_id, first.run_id]);
    expect(ids(await page({ limit: 1, offset: 1 }))).toEqual([second.run_id]);
    expect(ids(await page({ status: "pending" }))).toEqual([third.run_id, first.run_id]);
    expect(await page({ status: "error" })).toEqual([]);
    expect(Object.keys((await page({}))[0]).sort()).toEqual(
      ["assistant_id", "created_at", "kwargs", "metadata", "multitask_strategy", "run_id", "status", "thread_id", "updated_at"],
    );
    await expect(storage().runs.list(randomUUID(), { limit: 10, offset: 0 })).rejects.toMatchObject({ statusCode: 404 });
  });

  test("findActive filters by status, thread and ids; inflight lists a thread's active runs oldest first", async () => {
    const running = await createRun(storage());
    const queued = await createRun(storage(), { thread_id: running.thread_id });
    const elsewhere = await createRun(storage());
    await storage().runs.claim(1, new Date(), lease());
    const ended = await createRun(storage());
    await storage().runs.finish(ended.run_id, { status: "success" });

    expect(await storage().runs.findActive({ status: "all" })).toEqual([running.run_id, queued.run_id, elsewhere.run_id]);
    expect(await storage().runs.findActive({ status: "running" })).toEqual([running.run_id]);
    expect(await storage().runs.findActive({ status: "pending", thread_id: running.thread_id })).toEqual([queued.run_id]);
    expect(await storage().runs.findActive({ status: "all", run_ids: [elsewhere.run_id, ended.run_id] })).toEqual([elsewhere.run_id]);
    expect(await storage().runs.findActive({ status: "all", run_ids: [] })).toEqual([]);
    expect(await storage().runs.inflight(running.thread_id)).toEqual([
      { run_id: running.run_id, status: "running" },
      { run_id: queued.run_id, status: "pending" },
    ]);
  });
});

describeStorage("runs: what PostgreSQL cannot store", (backend) => {
  const storage = () => backend.storage();

  test.runIf(backend.dialect === "postgres")("a NUL character in metadata or kwargs is a 422 naming the field, and nothing is written", async () => {
    const badMetadata = runInput({ metadata: { note: "a\u0000b" } });
    await expect(storage().runs.create(badMetadata)).rejects.toMatchObject({ statusCode: 422, message: expect.stringMatching(/^metadata: /) });
    const badInput = runInput({ kwargs: { input: { text: "\u0000" }, config: {} } });
    await expect(storage().runs.create(badInput)).rejects.toMatchObject({ statusCode: 422, message: expect.stringMatching(/^input: /) });
    for (const input of [badMetadata, badInput]) {
      expect(await storage().runs.get(input.run_id)).toBeUndefined();
      expect(await storage().threads.get(input.thread_id)).toBeUndefined();
    }
  });

  test("a run's final values are written whatever they hold", async () => {
    const run = await createRun(storage());
    expect(await storage().runs.finish(run.run_id, { status: "success", thread: { status: "idle", values: { text: "a\u0000b" } } })).toBe(true);
    const values = (await storage().threads.get(run.thread_id))!.values as { text: string };
    expect(values.text).toMatch(/^a.b$/);
  });
});

describeStorage("runs: processes racing on one database", (backend) => {
  const storage = () => backend.storage();
  const postgres = backend.dialect === "postgres";
  afterEach(() => drainQueue(storage()));

  test.runIf(postgres)(
    "claimers in several processes never take a run twice, never run two runs of a thread at once, and keep each thread's order",
    async () => {
      const processes = [storage(), await backend.another(), await backend.another(), await backend.another()];
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
          fc.integer({ min: 2, max: processes.length }),
          fc.integer({ min: 1, max: 3 }),
          async (runsPerThread, claimers, limit) => {
            const created = new Map<string, string[]>();
            for (const count of runsPerThread) {
              const threadId = randomUUID();
              const runs: string[] = [];
              for (let i = 0; i < count; i++) runs.push((await createRun(storage(), { thread_id: threadId })).run_id);
              created.set(threadId, runs);
            }
            const total = runsPerThread.reduce((a, b) => a + b, 0);
            const claimedOnce = new Set<string>();
            const holding = new Map<string, string>();
            const order = new Map<string, string[]>();
            const violations: string[] = [];
            const work = async (process: Storage, index: number) => {
              while (claimedOnce.size < total) {
                const claimed = await process.runs.claim(limit, new Date(), lease(`test:${index}:claimer`));
                if (claimed.length === 0) {
                  await sleep(1);
                  continue;
                }
                await Promise.all(
                  claimed.map(async (run: ClaimedRun) => {
                    if (claimedOnce.has(run.run_id)) violations.push(`claimed twice: ${run.run_id}`);
                    if (holding.has(run.thread_id)) violations.push(`two running on ${run.thread_id}`);
                    claimedOnce.add(run.run_id);
                    holding.set(run.thread_id, run.run_id);
                    order.set(run.thread_id, [...(order.get(run.thread_id) ?? []), run.run_id]);
                    await sleep(Math.random() * 3);
                    holding.delete(run.thread_id);
                    if (!(await process.runs.finish(run.run_id, { status: "success", thread: { status: "idle" } }, run.lease_id))) {
                      violations.push(`finish fenced out: ${run.run_id}`);
                    }
                  }),
                );
              }
            };
            await Promise.all(processes.slice(0, claimers).map(work));
            expect(violations).toEqual([]);
            expect(order).toEqual(created);
          },
        ),
        { numRuns: 12 },
      );
    },
    60_000,
  );

  test.runIf(postgres)("two processes creating reject runs on one thread at once: exactly one gets in", async () => {
    const other = await backend.another();
    for (let round = 0; round < 10; round++) {
      // Half the rounds on a thread that exists, half on one both of them create.
      const threadId = round % 2 === 0 ? (await storage().threads.create({})).thread_id : randomUUID();
      const input = () => runInput({ thread_id: threadId, multitask_strategy: "reject", create_thread: true });
      const outcomes = await Promise.allSettled([storage().runs.create(input()), other.runs.create(input())]);
      expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
      expect(outcomes.find((outcome) => outcome.status === "rejected")).toMatchObject({ reason: { statusCode: 409 } });
      expect(await storage().runs.inflight(threadId)).toHaveLength(1);
    }
  });

  test.runIf(postgres)("two processes finishing one run at once write one end and one webhook row", async () => {
    const other = await backend.another();
    for (let round = 0; round < 10; round++) {
      const run = await createRun(storage());
      const finish = (process: Storage) =>
        process.runs.finish(run.run_id, {
          status: "success",
          thread: { status: "idle" },
          delivery: { delivery_id: randomUUID(), url: "http://127.0.0.1:9/hook", payload: {} },
        });
      expect((await Promise.all([finish(storage()), finish(other)])).sort()).toEqual([false, true]);
      expect(await storage().deliveries.list({ run_id: run.run_id, limit: 10, offset: 0 })).toHaveLength(1);
    }
  });

  test.runIf(postgres)("sweepers in two processes take each expired run back once", async () => {
    const other = await backend.another();
    for (let i = 0; i < 8; i++) await createRun(storage());
    expect(await storage().runs.claim(8, new Date(), lease("test:1:dead", 0))).toHaveLength(8);
    const sweeps = await Promise.all([storage(), other].map((process) => process.runs.reclaim({ scope: "expired", maxAttempts: 3, lease: lease() })));
    expect(sweeps[0].requeued + sweeps[1].requeued).toBe(8);
    expect(await storage().runs.findActive({ status: "pending" })).toHaveLength(8);
  });

  test.runIf(postgres)("a claim that races into the one-running-run rule takes the other candidates instead of failing", async () => {
    const other = await backend.another();
    // A thread whose only pending run a rival is about to beat this claim to: the rival's transaction
    // marks another run of the thread running, and commits only once this claim waits on it.
    const contested = await createRun(storage());
    await storage().runs.finish(contested.run_id, { status: "success" });
    const pending = await createRun(storage(), { thread_id: contested.thread_id });
    const free = await createRun(storage());
    const rival = await (storage() as PostgresStorage).pool.connect();
    try {
      await rival.query("BEGIN");
      await rival.query("UPDATE runs SET status = 'running' WHERE run_id = $1", [contested.run_id]);
      let settled = false;
      const claim = other.runs.claim(5, new Date(), lease("test:2:claimer")).finally(() => (settled = true));
      await sleep(300);
      expect(settled).toBe(false);
      await rival.query("COMMIT");
      expect(ids(await claim)).toEqual([free.run_id]);
      expect((await storage().runs.get(pending.run_id))!.status).toBe("pending");
    } finally {
      rival.release();
    }
  });
});
