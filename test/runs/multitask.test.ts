import { describe, expect, test } from "vitest";
import type { Run } from "@langchain/langgraph-sdk";
import { ended, eventually, postJson, SLOW, useRunsServer } from "./support.js";

const server = useRunsServer();

/** A slow run on a fresh thread, once it is running. */
async function busyThread(delayMs = 200): Promise<{ threadId: string; first: Run }> {
  const thread = await server.client.threads.create();
  const first = await server.client.runs.create(thread.thread_id, "slow", { input: {}, config: SLOW(delayMs) });
  await eventually(
    () => server.client.runs.get(thread.thread_id, first.run_id),
    (run) => run.status === "running",
  );
  return { threadId: thread.thread_id, first };
}

/** The runs that wrote the thread's checkpoints, oldest first, repeats collapsed. */
async function checkpointRuns(threadId: string): Promise<string[]> {
  const history = await server.client.threads.getHistory(threadId, { limit: 100 });
  const runIds = history.reverse().map((state) => String(state.metadata?.run_id));
  return runIds.filter((runId, i) => runId !== runIds[i - 1]);
}

describe("multitask strategies on a busy thread", () => {
  test("reject: 409 {detail}, and no run row is left", async () => {
    const { threadId, first } = await busyThread();
    await expect(server.client.runs.create(threadId, "slow", { input: {}, multitaskStrategy: "reject" })).rejects.toMatchObject({ status: 409 });
    const raw = await postJson(`${server.url}/threads/${threadId}/runs/wait`, { assistant_id: "slow", multitask_strategy: "reject" });
    expect(raw.status).toBe(409);
    expect(await raw.json()).toEqual({ detail: expect.stringContaining("busy") });
    expect((await server.client.runs.list(threadId)).map((run) => run.run_id)).toEqual([first.run_id]);
    await server.client.runs.join(threadId, first.run_id);
  });

  test("interrupt: the first run ends interrupted and the second runs", async () => {
    const { threadId, first } = await busyThread(300);
    const second = await server.client.runs.create(threadId, "slow", { input: {}, multitaskStrategy: "interrupt", config: SLOW(10) });
    await server.client.runs.join(threadId, second.run_id);
    expect((await server.client.runs.get(threadId, first.run_id)).status).toBe("interrupted");
    expect((await server.client.runs.get(threadId, second.run_id)).status).toBe("success");
    expect((await server.client.threads.get(threadId)).values).toEqual({ ticks: expect.any(Number) });
  });

  test("rollback: the first run is deleted (404) with its checkpoints; the second runs", async () => {
    const { threadId, first } = await busyThread(300);
    // Let the first run write some checkpoints before it is rolled back.
    await eventually(() => checkpointRuns(threadId), (runs) => runs.includes(first.run_id));
    const second = await server.client.runs.create(threadId, "slow", { input: {}, multitaskStrategy: "rollback", config: SLOW(10) });
    await server.client.runs.join(threadId, second.run_id);
    await expect(server.client.runs.get(threadId, first.run_id)).rejects.toMatchObject({ status: 404 });
    expect((await server.client.runs.list(threadId)).map((run) => run.run_id)).toEqual([second.run_id]);
    expect(await checkpointRuns(threadId)).toEqual([second.run_id]);
    // The second run started from a clean thread: five ticks of its own.
    expect((await server.client.threads.get(threadId)).values).toEqual({ ticks: 5 });
  });

  test("rollback of a pending run deletes it without running it", async () => {
    const { threadId, first } = await busyThread(150);
    const queued = await server.client.runs.create(threadId, "slow", { input: {} });
    const third = await server.client.runs.create(threadId, "slow", { input: {}, multitaskStrategy: "rollback", config: SLOW(10) });
    await server.client.runs.join(threadId, third.run_id);
    await expect(server.client.runs.get(threadId, queued.run_id)).rejects.toMatchObject({ status: 404 });
    await expect(server.client.runs.get(threadId, first.run_id)).rejects.toMatchObject({ status: 404 });
  });

  test("enqueue (default): runs one after another in creation order", async () => {
    const { threadId, first } = await busyThread(100);
    const second = await server.client.runs.create(threadId, "slow", { input: {}, config: SLOW(10) });
    const third = await server.client.runs.create(threadId, "two_step", { input: {}, multitaskStrategy: "enqueue" });
    expect(second).toMatchObject({ status: "pending", multitask_strategy: "enqueue" });
    await server.client.runs.join(threadId, third.run_id);
    const runs = await server.client.runs.list(threadId);
    expect(runs.every((run) => run.status === "success")).toBe(true);
    // Checkpoints were written run by run, never interleaved.
    expect(await checkpointRuns(threadId)).toEqual([first.run_id, second.run_id, third.run_id]);
  });
});

describe("threads and scheduling", () => {
  test("if_not_exists create makes the thread; an unknown thread is 404 and stays unknown", async () => {
    const threadId = crypto.randomUUID();
    await expect(server.client.runs.create(threadId, "two_step", { input: {} })).rejects.toMatchObject({ status: 404 });
    await expect(server.client.threads.get(threadId)).rejects.toMatchObject({ status: 404 });
    const run = await server.client.runs.create(threadId, "two_step", { input: {}, ifNotExists: "create" });
    expect(await server.client.runs.join(threadId, run.run_id)).toEqual({ count: 11, steps: ["first", "second"] });
    expect((await server.client.threads.get(threadId)).metadata).toMatchObject({ graph_id: "two_step" });
  });

  test("after_seconds delays the start: pending until then, started after the delay", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "two_step", { input: {}, afterSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await server.client.runs.get(thread.thread_id, run.run_id)).status).toBe("pending");
    await server.client.runs.join(thread.thread_id, run.run_id);
    const history = await server.client.threads.getHistory(thread.thread_id, { limit: 100 });
    const firstCheckpoint = Math.min(...history.map((state) => Date.parse(state.created_at!)));
    const delay = firstCheckpoint - Date.parse(run.created_at);
    expect(delay).toBeGreaterThanOrEqual(1000);
    expect(delay).toBeLessThan(3000);
  });

  test("a delayed run does not hold back runs on other threads", async () => {
    const a = await server.client.threads.create();
    const b = await server.client.threads.create();
    const delayed = await server.client.runs.create(a.thread_id, "two_step", { input: {}, afterSeconds: 2 });
    const started = Date.now();
    await server.client.runs.wait(b.thread_id, "two_step", { input: {} });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await server.client.runs.get(a.thread_id, delayed.run_id)).status).toBe("pending");
    await server.client.runs.cancel(a.thread_id, delayed.run_id);
    expect(ended(await server.client.runs.get(a.thread_id, delayed.run_id))).toBe(true);
  });
});
