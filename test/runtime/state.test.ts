import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { executeRun } from "../../src/runtime/execute.js";
import { bulkUpdateThreadState, emptyThreadState, getThreadHistory, getThreadState, updateThreadState } from "../../src/runtime/state.js";
import type { RuntimeGraph } from "../../src/runtime/graph-loader.js";
import { never, openRuntime, request, type Runtime } from "./helpers.js";

let rt: Runtime;
let twoStep: RuntimeGraph;
beforeAll(async () => {
  rt = await openRuntime();
  twoStep = await rt.registry.get("two_step");
});
afterAll(() => rt.close());

async function run(graphId: string, overrides: Parameters<typeof request>[1] = {}) {
  const req = request(graphId, overrides);
  const outcome = await executeRun(rt.registry, req, () => {}, never());
  return { req, outcome };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("getThreadState", () => {
  test("a finished thread in the ThreadState shape", async () => {
    const { req } = await run("two_step", { input: {} });
    const state = await getThreadState(twoStep, req.threadId);
    expect(state).toEqual({
      values: { count: 11, steps: ["first", "second"] },
      next: [],
      tasks: [],
      checkpoint: { thread_id: req.threadId, checkpoint_ns: "", checkpoint_id: expect.any(String), checkpoint_map: null },
      metadata: expect.objectContaining({ source: "loop", step: 2, run_id: req.runId, graph_id: "two_step", thread_id: req.threadId }),
      created_at: expect.stringMatching(ISO),
      parent_checkpoint: { thread_id: req.threadId, checkpoint_ns: "", checkpoint_id: expect.any(String), checkpoint_map: null },
      interrupts: [],
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  test("an interrupted thread lists the pending task and its interrupts", async () => {
    const { req, outcome } = await run("interrupt", { input: { question: "q?" } });
    const state = await getThreadState(await rt.registry.get("interrupt"), req.threadId);
    const [taskId] = Object.keys(outcome.interrupts);
    const interrupt = { value: { question: "q?" }, id: expect.any(String) };
    expect(state.next).toEqual(["ask"]);
    expect(state.tasks).toEqual([
      { id: taskId, name: "ask", path: ["__pregel_pull", "ask"], error: null, interrupts: [interrupt], checkpoint: null, state: null, result: null },
    ]);
    expect(state.interrupts).toEqual([interrupt]);
  });

  test("subgraph tasks: a checkpoint reference, or the subgraph's state with subgraphs=true", async () => {
    const { req } = await run("subgraph", { input: {}, config: { configurable: { pause_in_child: true } } });
    const graph = await rt.registry.get("subgraph");
    const flat = await getThreadState(graph, req.threadId);
    expect(flat.tasks[0]).toMatchObject({ name: "child", state: null });
    expect(flat.tasks[0].checkpoint).toEqual({ thread_id: req.threadId, checkpoint_ns: expect.stringMatching(/^child:/), checkpoint_id: null, checkpoint_map: null });
    const nested = await getThreadState(graph, req.threadId, { subgraphs: true });
    expect(nested.tasks[0].state).toMatchObject({ next: ["inner_b"], values: { trail: ["before", "inner_a"] } });
    expect(nested.tasks[0].state!.interrupts).toEqual([{ value: { where: "inner_b" }, id: expect.any(String) }]);
  });

  test("at an older checkpoint", async () => {
    const { req } = await run("two_step", { input: {} });
    const history = await getThreadHistory(twoStep, req.threadId);
    const afterFirst = history.find((s) => s.next[0] === "second")!;
    const state = await getThreadState(twoStep, req.threadId, { checkpointId: afterFirst.checkpoint!.checkpoint_id! });
    expect(state.values).toEqual({ count: 1, steps: ["first"] });
    expect(state.next).toEqual(["second"]);
  });

  test("a thread without checkpoints has empty values; emptyThreadState for threads with no graph", async () => {
    const state = await getThreadState(twoStep, randomUUID());
    expect(state).toMatchObject({ values: {}, next: [], tasks: [], checkpoint: null, parent_checkpoint: null });
    expect(emptyThreadState()).toEqual({ values: {}, next: [], tasks: [], checkpoint: null, metadata: {}, created_at: null, parent_checkpoint: null, interrupts: [] });
  });
});

describe("updates", () => {
  test("updateThreadState writes as a node and returns the new checkpoint", async () => {
    const { req } = await run("two_step", { input: {} });
    const result = await updateThreadState(twoStep, req.threadId, { values: { count: 5, steps: ["manual"] }, asNode: "second" });
    expect(result.checkpoint).toEqual({ thread_id: req.threadId, checkpoint_ns: "", checkpoint_id: expect.any(String), checkpoint_map: null });
    const state = await getThreadState(twoStep, req.threadId);
    expect(state.values).toEqual({ count: 16, steps: ["first", "second", "manual"] });
    expect(state.checkpoint!.checkpoint_id).toBe(result.checkpoint.checkpoint_id);
    expect(state.metadata).toMatchObject({ source: "update" });
  });

  test("updating as a node resumes from there: the next run follows that node's edges", async () => {
    const threadId = randomUUID();
    await updateThreadState(twoStep, threadId, { values: { count: 100 }, asNode: "first" });
    expect((await getThreadState(twoStep, threadId)).next).toEqual(["second"]);
    const { outcome } = await run("two_step", { threadId, input: null });
    expect(outcome.values).toEqual({ count: 110, steps: ["second"] });
  });

  test("updateThreadState from an older checkpoint forks", async () => {
    const { req } = await run("two_step", { input: {} });
    const history = await getThreadHistory(twoStep, req.threadId);
    const afterFirst = history.find((s) => s.next[0] === "second")!;
    await updateThreadState(twoStep, req.threadId, { values: { steps: ["fork"] }, asNode: "first", checkpoint: afterFirst.checkpoint });
    const state = await getThreadState(twoStep, req.threadId);
    expect(state.values).toEqual({ count: 1, steps: ["first", "fork"] });
    expect(state.parent_checkpoint!.checkpoint_id).toBe(afterFirst.checkpoint!.checkpoint_id);
  });

  test("bulkUpdateThreadState applies supersteps in order", async () => {
    const threadId = randomUUID();
    await bulkUpdateThreadState(twoStep, threadId, [
      { updates: [{ values: { count: 1, steps: ["a"] }, as_node: "first" }] },
      { updates: [{ values: { count: 2, steps: ["b"] }, as_node: "second" }] },
    ]);
    const history = await getThreadHistory(twoStep, threadId);
    expect(history[0].values).toEqual({ count: 3, steps: ["a", "b"] });
    expect(history.map((s) => s.metadata.source).slice(0, 2)).toEqual(["update", "update"]);
  });
});

describe("history", () => {
  test("newest first, with limit, before and a metadata filter", async () => {
    const { req } = await run("two_step", { input: {} });
    await updateThreadState(twoStep, req.threadId, { values: { count: 1 }, asNode: "second" });
    const all = await getThreadHistory(twoStep, req.threadId, { limit: 100 });
    expect(all.map((s) => s.metadata.step)).toEqual([3, 2, 1, 0, -1]);
    expect(all.map((s) => s.metadata.source)).toEqual(["update", "loop", "loop", "loop", "input"]);
    expect((await getThreadHistory(twoStep, req.threadId, { limit: 2 })).map((s) => s.metadata.step)).toEqual([3, 2]);
    const before = await getThreadHistory(twoStep, req.threadId, { before: all[1].checkpoint });
    expect(before.map((s) => s.metadata.step)).toEqual([1, 0, -1]);
    const byRun = await getThreadHistory(twoStep, req.threadId, { metadata: { run_id: req.runId }, limit: 100 });
    expect(byRun.map((s) => s.metadata.step)).toEqual([2, 1, 0, -1]);
    expect(await getThreadHistory(twoStep, req.threadId, { metadata: { source: "update" } })).toHaveLength(1);
  });

  test("a subgraph's history by checkpoint_ns", async () => {
    const { req } = await run("subgraph", { input: {}, config: { configurable: { pause_in_child: true } } });
    const graph = await rt.registry.get("subgraph");
    const ns = (await getThreadState(graph, req.threadId)).tasks[0].checkpoint!.checkpoint_ns;
    const history = await getThreadHistory(graph, req.threadId, { checkpoint: { checkpoint_ns: ns }, limit: 100 });
    expect(history.length).toBeGreaterThan(0);
    for (const state of history) expect(state.checkpoint!.checkpoint_ns).toBe(ns);
  });
});
