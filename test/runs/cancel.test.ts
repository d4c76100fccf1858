import { describe, expect, test } from "vitest";
import type { Run } from "@langchain/langgraph-sdk";
import { collect, ended, eventually, postJson, SLOW, useRunsServer } from "./support.js";

const server = useRunsServer();

async function runningSlowRun(delayMs = 300): Promise<{ threadId: string; run: Run }> {
  const thread = await server.client.threads.create();
  const run = await server.client.runs.create(thread.thread_id, "slow", { input: {}, config: SLOW(delayMs) });
  // Running, with at least one tick checkpointed.
  await eventually(
    () => server.client.threads.getHistory(thread.thread_id, { limit: 10 }),
    (history) => history.some((state) => (state.values as { ticks?: number }).ticks === 1),
  );
  return { threadId: thread.thread_id, run };
}

describe("cancel", () => {
  test("interrupt (no wait): 202, the run ends interrupted, the thread is idle with what the run got to", async () => {
    const { threadId, run } = await runningSlowRun();
    const response = await fetch(`${server.url}/threads/${threadId}/runs/${run.run_id}/cancel`, { method: "POST" });
    expect(response.status).toBe(202);
    const final = await eventually(() => server.client.runs.get(threadId, run.run_id), ended);
    expect(final.status).toBe("interrupted");
    const thread = await server.client.threads.get(threadId);
    expect(thread.status).toBe("idle");
    const ticks = (thread.values as { ticks: number }).ticks;
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect(ticks).toBeLessThan(5);
  });

  test("wait: the SDK's cancel(…, true) returns once the run ended, with its output", async () => {
    const { threadId, run } = await runningSlowRun();
    const output = (await server.client.runs.cancel(threadId, run.run_id, true)) as unknown as { ticks: number };
    expect((await server.client.runs.get(threadId, run.run_id)).status).toBe("interrupted");
    expect(output.ticks).toBeGreaterThanOrEqual(1);
    expect(output.ticks).toBeLessThan(5);
  });

  test("rollback: the run and its checkpoints are deleted; the thread is as before it", async () => {
    const { threadId, run } = await runningSlowRun();
    await server.client.runs.cancel(threadId, run.run_id, true, "rollback");
    await expect(server.client.runs.get(threadId, run.run_id)).rejects.toMatchObject({ status: 404 });
    expect(await server.client.threads.getHistory(threadId)).toEqual([]);
    const thread = await server.client.threads.get(threadId);
    expect(thread.status).toBe("idle");
    expect(thread.values ?? {}).toEqual({});
  });

  test("a pending run is cancelled without running; its waiting stream ends", async () => {
    const { threadId, run: first } = await runningSlowRun(150);
    const queued = await server.client.runs.create(threadId, "two_step", { input: {} });
    const joined = collect(server.client.runs.joinStream(threadId, queued.run_id));
    await server.client.runs.cancel(threadId, queued.run_id);
    expect(await joined).toEqual([]);
    expect((await server.client.runs.get(threadId, queued.run_id)).status).toBe("interrupted");
    await server.client.runs.join(threadId, first.run_id);
    expect((await server.client.runs.get(threadId, queued.run_id)).status).toBe("interrupted");
    const history = await server.client.threads.getHistory(threadId, { limit: 100 });
    expect(history.some((state) => state.metadata?.run_id === queued.run_id)).toBe(false);
  });

  test("cancelling an ended run changes nothing; an unknown run is 404", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "two_step", { input: {} });
    await server.client.runs.join(thread.thread_id, run.run_id);
    await server.client.runs.cancel(thread.thread_id, run.run_id);
    expect((await server.client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    await expect(server.client.runs.cancel(thread.thread_id, crypto.randomUUID())).rejects.toMatchObject({ status: 404 });
  });
});

describe("cancelMany (/runs/cancel)", () => {
  test("by thread and run ids: 204, the runs end interrupted", async () => {
    const { threadId, run } = await runningSlowRun();
    const queued = await server.client.runs.create(threadId, "slow", { input: {} });
    await server.client.runs.cancelMany({ threadId, runIds: [run.run_id, queued.run_id] });
    for (const id of [run.run_id, queued.run_id]) {
      expect((await eventually(() => server.client.runs.get(threadId, id), ended)).status).toBe("interrupted");
    }
  });

  test("by status: pending runs of every thread, running ones untouched", async () => {
    const { threadId, run } = await runningSlowRun(100);
    const queued = await server.client.runs.create(threadId, "slow", { input: {} });
    const other = await server.client.threads.create();
    const delayed = await server.client.runs.create(other.thread_id, "two_step", { input: {}, afterSeconds: 60 });
    const response = await postJson(`${server.url}/runs/cancel`, { status: "pending" });
    expect(response.status).toBe(204);
    expect((await server.client.runs.get(threadId, queued.run_id)).status).toBe("interrupted");
    expect((await server.client.runs.get(other.thread_id, delayed.run_id)).status).toBe("interrupted");
    expect((await server.client.runs.join(threadId, run.run_id)) as { ticks: number }).toEqual({ ticks: 5 });
  });

  test("action=rollback deletes the runs", async () => {
    const { threadId, run } = await runningSlowRun();
    await server.client.runs.cancelMany({ threadId, runIds: [run.run_id], action: "rollback" });
    await eventually(
      () => server.client.runs.list(threadId),
      (runs) => runs.length === 0,
    );
  });

  test("status with thread_id/run_ids is 422; unknown run ids are 404; an empty body is 422", async () => {
    const thread = await server.client.threads.create();
    const mixed = await postJson(`${server.url}/runs/cancel`, { status: "all", thread_id: thread.thread_id });
    expect(mixed.status).toBe(422);
    expect(await mixed.json()).toEqual({ detail: expect.stringContaining("status") });
    const unknown = await postJson(`${server.url}/runs/cancel`, { thread_id: thread.thread_id, run_ids: [crypto.randomUUID()] });
    expect(unknown.status).toBe(404);
    expect((await postJson(`${server.url}/runs/cancel`, {})).status).toBe(422);
    expect((await postJson(`${server.url}/runs/cancel`, { status: "finished" })).status).toBe(422);
  });
});

describe("run timeout", () => {
  const limited = useRunsServer({ runTimeoutSeconds: 1 });

  test("a run longer than runTimeoutSeconds ends with status timeout and an error event", async () => {
    const thread = await limited.client.threads.create();
    let runId: string | undefined;
    const parts = await collect(
      limited.client.runs.stream(thread.thread_id, "slow", { input: {}, config: SLOW(300), onRunCreated: (meta) => (runId = meta.run_id) }),
    );
    expect(parts.at(-1)).toMatchObject({ event: "error", data: { error: "TimeoutError", message: expect.stringContaining("1 s") } });
    expect((await limited.client.runs.get(thread.thread_id, runId!)).status).toBe("timeout");
    const thread2 = await limited.client.threads.create();
    const answer = await limited.client.runs.wait(thread2.thread_id, "slow", { input: {}, config: SLOW(300), raiseError: false });
    expect(answer).toEqual({ __error__: { error: "TimeoutError", message: expect.any(String) } });
    // A short run is not affected.
    expect(await limited.client.runs.wait(thread2.thread_id, "two_step", { input: {} })).toMatchObject({ count: 11 });
  });
});
