import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import type { ThreadState } from "@langchain/langgraph-sdk";
import { api, eventually, useServer } from "./support.js";

const server = useServer();
const client = () => server().client;

interface TwoStep {
  count: number;
  steps: string[];
}

/** A two_step thread after one run: checkpoints for input, step 0, first, second. */
async function ranTwoStep() {
  const thread = await client().threads.create();
  await client().runs.wait(thread.thread_id, "two_step", { input: {} });
  const history = (await client().threads.getHistory<TwoStep>(thread.thread_id, { limit: 100 })) as ThreadState<TwoStep>[];
  return { threadId: thread.thread_id, history };
}

describe("getState", () => {
  test("latest state, at a checkpoint id, at a checkpoint object, with select", async () => {
    const { threadId, history } = await ranTwoStep();
    const latest = await client().threads.getState<TwoStep>(threadId);
    expect(latest.values).toEqual({ count: 11, steps: ["first", "second"] });
    expect(latest.next).toEqual([]);
    expect(latest.checkpoint).toMatchObject({ thread_id: threadId, checkpoint_ns: "" });
    expect(latest.metadata).toMatchObject({ graph_id: "two_step", step: 2, source: "loop" });
    expect(latest.checkpoint.checkpoint_id).toBe(history[0].checkpoint.checkpoint_id);

    const afterFirst = history.find((state) => state.next.includes("second"))!;
    const byId = await client().threads.getState<TwoStep>(threadId, afterFirst.checkpoint.checkpoint_id!);
    expect(byId.values).toEqual({ count: 1, steps: ["first"] });
    expect(byId.next).toEqual(["second"]);
    // The checkpoint object exactly as the API returned it (checkpoint_map: null included).
    const byObject = await client().threads.getState<TwoStep>(threadId, afterFirst.checkpoint);
    expect(byObject).toEqual(byId);
    const byConfig = await api<ThreadState<TwoStep>>(server(), "POST", `/threads/${threadId}/state/checkpoint`, {
      checkpoint: { checkpoint_id: afterFirst.checkpoint.checkpoint_id },
    });
    expect(byConfig.body.values).toEqual({ count: 1, steps: ["first"] });

    const selected = await client().threads.getState(threadId, undefined, { select: ["values.count", "next"] } as never);
    expect(selected).toEqual({ values: { count: 11 }, next: [] });
  });

  test("a thread that never ran has an empty state and no history", async () => {
    const thread = await client().threads.create();
    const state = await client().threads.getState(thread.thread_id);
    expect(state).toMatchObject({ values: {}, next: [], tasks: [], checkpoint: null });
    expect(await client().threads.getHistory(thread.thread_id)).toEqual([]);
  });

  test("an unknown checkpoint id reads as an empty state, as LangGraph's getState answers", async () => {
    const { threadId } = await ranTwoStep();
    const response = await api<ThreadState>(server(), "GET", `/threads/${threadId}/state/${randomUUID()}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ values: {}, next: [], tasks: [] });
  });
});

describe("getHistory", () => {
  test("POST: newest first, limit, before (id, checkpoint, config), metadata filter", async () => {
    const { threadId, history } = await ranTwoStep();
    expect(history.map((state) => state.metadata?.step)).toEqual([2, 1, 0, -1]);
    expect(history.every((state) => state.metadata?.thread_id === threadId)).toBe(true);

    const two = await client().threads.getHistory(threadId, { limit: 2 });
    expect(two.map((state) => state.checkpoint.checkpoint_id)).toEqual(history.slice(0, 2).map((s) => s.checkpoint.checkpoint_id));

    const pivot = history[1].checkpoint;
    const expected = history.slice(2).map((s) => s.checkpoint.checkpoint_id);
    const beforeCheckpoint = await api<ThreadState[]>(server(), "POST", `/threads/${threadId}/history`, { before: pivot, limit: 10 });
    expect(beforeCheckpoint.body.map((s) => s.checkpoint.checkpoint_id)).toEqual(expected);
    const beforeConfig = await client().threads.getHistory(threadId, { before: { configurable: { checkpoint_id: pivot.checkpoint_id } } });
    expect(beforeConfig.map((s) => s.checkpoint.checkpoint_id)).toEqual(expected);
    const beforeId = await api<ThreadState[]>(server(), "POST", `/threads/${threadId}/history`, { before: pivot.checkpoint_id });
    expect(beforeId.body.map((s) => s.checkpoint.checkpoint_id)).toEqual(expected);

    const stepOne = await client().threads.getHistory<TwoStep>(threadId, { metadata: { step: 1 } });
    expect(stepOne.map((s) => s.values)).toEqual([{ count: 1, steps: ["first"] }]);
    expect(await client().threads.getHistory(threadId, { metadata: { step: 99 } })).toEqual([]);
  });

  test("GET: limit and before as query parameters", async () => {
    const { threadId, history } = await ranTwoStep();
    const response = await api<ThreadState[]>(server(), "GET", `/threads/${threadId}/history?limit=2&before=${history[0].checkpoint.checkpoint_id}`);
    expect(response.status).toBe(200);
    expect(response.body.map((s) => s.checkpoint.checkpoint_id)).toEqual(history.slice(1, 3).map((s) => s.checkpoint.checkpoint_id));
    expect((await api(server(), "GET", `/threads/${threadId}/history?limit=0`)).status).toBe(422);
  });
});

describe("updateState and patchState", () => {
  test("updateState as a node writes through its reducers and moves the thread on", async () => {
    const { threadId } = await ranTwoStep();
    // The API answers {checkpoint} (ThreadStateUpdateResponse); the SDK's type says otherwise.
    const { checkpoint } = (await client().threads.updateState(threadId, { values: { count: 5, steps: ["manual"] }, asNode: "first" })) as unknown as {
      checkpoint: { checkpoint_id: string };
    };
    expect(checkpoint).toMatchObject({ thread_id: threadId, checkpoint_ns: "" });
    const state = await client().threads.getState<TwoStep>(threadId);
    expect(state.checkpoint.checkpoint_id).toBe(checkpoint.checkpoint_id);
    expect(state.values).toEqual({ count: 16, steps: ["first", "second", "manual"] });
    expect(state.next).toEqual(["second"]);
    expect(state.metadata).toMatchObject({ source: "update" });
    const thread = await client().threads.get(threadId);
    expect(thread).toMatchObject({ status: "idle", values: { count: 16 } });
  });

  test("updateState from an earlier checkpoint forks the history", async () => {
    const { threadId, history } = await ranTwoStep();
    const afterFirst = history.find((state) => state.next.includes("second"))!;
    await client().threads.updateState(threadId, { values: { count: 100 }, asNode: "first", checkpointId: afterFirst.checkpoint.checkpoint_id! });
    const state = await client().threads.getState<TwoStep>(threadId);
    expect(state.values.count).toBe(101);
    expect(state.parent_checkpoint?.checkpoint_id).toBe(afterFirst.checkpoint.checkpoint_id);
  });

  test("an update the graph cannot apply is 422, not 500", async () => {
    const { threadId } = await ranTwoStep();
    const response = await api<{ detail: string }>(server(), "POST", `/threads/${threadId}/state`, { values: { count: 1 }, as_node: "nope" });
    expect(response.status).toBe(422);
    expect(response.body.detail).toContain("nope");
  });

  test("updateState on a busy thread is 409", async () => {
    const thread = await client().threads.create();
    const run = await client().runs.create(thread.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: 150 } } });
    await eventually(() => client().threads.get(thread.thread_id), (t) => t.status === "busy");
    const response = await api<{ detail: string }>(server(), "POST", `/threads/${thread.thread_id}/state`, { values: { ticks: 1 }, as_node: "tick" });
    expect(response.status).toBe(409);
    expect(response.body.detail).toContain("busy");
    await client().runs.join(thread.thread_id, run.run_id);
    expect((await client().threads.get(thread.thread_id)).status).toBe("idle");
  });

  test("patchState merges metadata into the latest checkpoint", async () => {
    const { threadId } = await ranTwoStep();
    const before = await client().threads.getState(threadId);
    await client().threads.patchState(threadId, { reviewed: true, by: "qa" });
    const after = await client().threads.getState(threadId);
    expect(after.checkpoint.checkpoint_id).toBe(before.checkpoint.checkpoint_id);
    expect(after.metadata).toEqual({ ...before.metadata, reviewed: true, by: "qa" });
    expect(after.values).toEqual(before.values);
    expect(await client().threads.getHistory(threadId, { metadata: { reviewed: true } })).toHaveLength(1);
    expect((await api(server(), "PATCH", `/threads/${randomUUID()}/state`, { metadata: {} })).status).toBe(404);
  });

  test("create with supersteps applies the updates in order", async () => {
    const thread = await client().threads.create({
      graphId: "two_step",
      supersteps: [{ updates: [{ values: { count: 2, steps: ["a"] }, asNode: "first" }] }, { updates: [{ values: { count: 3, steps: ["b"] }, asNode: "second" }] }],
    });
    expect(thread).toMatchObject({ status: "idle", values: { count: 5, steps: ["a", "b"] } });
    expect((await client().threads.getHistory(thread.thread_id, { limit: 100 })).length).toBeGreaterThanOrEqual(2);
  });

  test("create with supersteps that fail leaves no thread behind", async () => {
    const threadId = randomUUID();
    const response = await api(server(), "POST", "/threads", {
      thread_id: threadId,
      metadata: { graph_id: "two_step" },
      supersteps: [{ updates: [{ values: { count: 1 }, as_node: "missing_node" }] }],
    });
    expect(response.status).toBe(422);
    expect((await api(server(), "GET", `/threads/${threadId}`)).status).toBe(404);
  });
});

describe("thread status", () => {
  test("idle after success, interrupted at an interrupt (then idle once resumed), error after a failure", async () => {
    const ok = await client().threads.create();
    await client().runs.wait(ok.thread_id, "two_step", { input: {} });
    expect((await client().threads.get(ok.thread_id)).status).toBe("idle");

    const paused = await client().threads.create();
    await client().runs.wait(paused.thread_id, "interrupt", { input: { question: "proceed?" } });
    const interrupted = await client().threads.get(paused.thread_id);
    expect(interrupted.status).toBe("interrupted");
    const pending = Object.values(interrupted.interrupts).flat();
    expect(pending).toEqual([expect.objectContaining({ value: { question: "proceed?" } })]);
    const state = await client().threads.getState(paused.thread_id);
    expect(state.next).toEqual(["ask"]);
    expect((state as unknown as { interrupts: unknown[] }).interrupts).toEqual([expect.objectContaining({ value: { question: "proceed?" } })]);
    expect(await client().threads.count({ ids: [paused.thread_id], status: "interrupted" } as never)).toBe(1);

    await client().runs.wait(paused.thread_id, "interrupt", { command: { resume: "yes" } });
    const resumed = await client().threads.get(paused.thread_id);
    expect(resumed.status).toBe("idle");
    expect(resumed.interrupts).toEqual({});
    expect(resumed.values).toMatchObject({ answer: "yes", log: ["prepare:proceed?", "answer:yes", "finish:yes"] });

    const failing = await client().threads.create();
    await expect(client().runs.wait(failing.thread_id, "error", { input: {} })).rejects.toThrow(/failed on purpose/);
    expect((await client().threads.get(failing.thread_id)).status).toBe("error");
    expect((await client().threads.search({ ids: [failing.thread_id], status: "error" })).map((t) => t.thread_id)).toEqual([failing.thread_id]);
    // The state the failing run reached is kept.
    expect((await client().threads.getState(failing.thread_id)).values).toEqual({ seen: "ok" });
  });

  test("updateState that answers an interrupt makes the thread idle", async () => {
    const thread = await client().threads.create();
    await client().runs.wait(thread.thread_id, "interrupt", { input: { question: "q" } });
    expect((await client().threads.get(thread.thread_id)).status).toBe("interrupted");
    await client().threads.updateState(thread.thread_id, { values: { answer: "manual", log: ["answer:manual"] }, asNode: "ask" });
    const after = await client().threads.get(thread.thread_id);
    expect(after.status).toBe("idle");
    expect(after.interrupts).toEqual({});
    expect((await client().threads.getState(thread.thread_id)).next).toEqual(["finish"]);
  });
});
