import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { executeRun } from "../../../src/runtime/execute.js";
import { getThreadHistory, getThreadState } from "../../../src/runtime/state.js";
import { describeGraphPersistence } from "./graph-persistence.js";
import { never, request } from "../../runtime/helpers.js";

describeGraphPersistence("checkpoint maintenance", (backend) => {
  const maintenance = () => backend.persistence().checkpoints;
  const graph = (graphId: string) => backend.registry().get(graphId);
  const run = async (graphId: string, overrides: Parameters<typeof request>[1] = {}) => {
    const req = request(graphId, overrides);
    const outcome = await executeRun(backend.registry(), req, () => {}, never());
    return { req, outcome };
  };
  const pauseInChild = { configurable: { pause_in_child: true } };

  describe("copyThread", () => {
    test("copies every checkpoint with thread_id rewritten in its metadata; the copy then evolves alone", async () => {
      const twoStep = await graph("two_step");
      const { req } = await run("two_step", { input: {} });
      const copyId = randomUUID();
      await maintenance().copyThread(req.threadId, copyId);
      const original = await getThreadHistory(twoStep, req.threadId, { limit: 100 });
      const copy = await getThreadHistory(twoStep, copyId, { limit: 100 });
      expect(copy.map((state) => state.values)).toEqual(original.map((state) => state.values));
      expect(copy.map((state) => state.checkpoint!.checkpoint_id)).toEqual(original.map((state) => state.checkpoint!.checkpoint_id));
      for (const state of copy) expect(state.metadata.thread_id).toBe(copyId);
      for (const state of original) expect(state.metadata.thread_id).toBe(req.threadId);

      await run("two_step", { threadId: copyId, input: {} });
      expect((await getThreadState(twoStep, copyId)).values).toMatchObject({ count: 22 });
      expect((await getThreadState(twoStep, req.threadId)).values).toMatchObject({ count: 11 });
    });

    test("a copy keeps pending interrupts resumable, a subgraph's too", async () => {
      const { req } = await run("interrupt", { input: { question: "q" } });
      const copyId = randomUUID();
      await maintenance().copyThread(req.threadId, copyId);
      const { outcome } = await run("interrupt", { threadId: copyId, command: { resume: "from copy" } });
      expect(outcome.values).toMatchObject({ answer: "from copy" });

      const paused = await run("subgraph", { input: {}, config: pauseInChild });
      const subgraphCopy = randomUUID();
      await maintenance().copyThread(paused.req.threadId, subgraphCopy);
      const resumed = await run("subgraph", { threadId: subgraphCopy, command: { resume: "yes" }, config: pauseInChild });
      expect(resumed.outcome.values).toEqual({ trail: ["before", "inner_a", "inner_b:yes"] });
    });
  });

  describe("rollbackRun", () => {
    test("returns the thread to its state before the run, leaving nothing of it behind", async () => {
      const twoStep = await graph("two_step");
      const threadId = randomUUID();
      await run("two_step", { threadId, input: {} });
      const before = await getThreadState(twoStep, threadId);
      const { req: second } = await run("two_step", { threadId, input: { count: 1000 } });
      expect((await getThreadState(twoStep, threadId)).values).toMatchObject({ count: 1022 });

      expect(await maintenance().rollbackRun(threadId, second.runId)).toBe(4);
      expect(await getThreadState(twoStep, threadId)).toEqual(before);
      expect(await backend.orphanWrites(threadId)).toBe(0);
      expect(await backend.unreferencedBlobs(threadId)).toBe(0);
      expect(await maintenance().rollbackRun(threadId, second.runId)).toBe(0);
    });

    test("the next run writes its own values, not the rolled-back run's", async () => {
      // Channel versions count up from the thread's checkpoints: the next run reuses the rolled-back
      // run's versions, and must not read the values that run stored under them.
      const threadId = randomUUID();
      await run("two_step", { threadId, input: {} });
      const { req: doomed } = await run("two_step", { threadId, input: { count: 1000, steps: ["doomed"] } });
      await maintenance().rollbackRun(threadId, doomed.runId);
      const { outcome } = await run("two_step", { threadId, input: { count: 5, steps: ["next"] } });
      expect(outcome.values).toEqual({ count: 27, steps: ["first", "second", "next", "first", "second"] });
    });

    test("removes the run's subgraph checkpoints too", async () => {
      const { req } = await run("subgraph", { input: {} });
      const written = await backend.checkpointCount(req.threadId);
      expect(await maintenance().rollbackRun(req.threadId, req.runId)).toBe(written);
      expect(written).toBeGreaterThan(4);
      expect(await backend.checkpointCount(req.threadId)).toBe(0);
      expect(await backend.orphanWrites(req.threadId)).toBe(0);
      expect(await backend.unreferencedBlobs(req.threadId)).toBe(0);
    });

    test("touches no other thread", async () => {
      const twoStep = await graph("two_step");
      const { req } = await run("two_step", { input: {} });
      const other = randomUUID();
      await maintenance().copyThread(req.threadId, other);
      await maintenance().rollbackRun(req.threadId, req.runId);
      expect((await getThreadState(twoStep, other)).values).toEqual({ count: 11, steps: ["first", "second"] });
    });
  });

  describe("keepLatest", () => {
    test("keeps only the latest checkpoint, from which the thread runs on", async () => {
      const twoStep = await graph("two_step");
      const threadId = randomUUID();
      await run("two_step", { threadId, input: {} });
      await run("two_step", { threadId, input: {} });
      await maintenance().keepLatest(threadId);
      const history = await getThreadHistory(twoStep, threadId, { limit: 100 });
      expect(history).toHaveLength(1);
      expect(history[0].values).toEqual({ count: 22, steps: ["first", "second", "first", "second"] });
      expect(history[0].parent_checkpoint).toBeNull();
      expect(await backend.orphanWrites(threadId)).toBe(0);
      expect(await backend.unreferencedBlobs(threadId)).toBe(0);

      const { outcome } = await run("two_step", { threadId, input: {} });
      expect(outcome.values).toMatchObject({ count: 33 });
    });

    test("an interrupted subgraph keeps the state it resumes from", async () => {
      const subgraph = await graph("subgraph");
      const { req } = await run("subgraph", { input: {}, config: pauseInChild });
      await maintenance().keepLatest(req.threadId);
      expect(await getThreadHistory(subgraph, req.threadId, { limit: 100 })).toHaveLength(1);
      const nested = await getThreadState(subgraph, req.threadId, { subgraphs: true });
      expect(nested.tasks[0].state).toMatchObject({ next: ["inner_b"], values: { trail: ["before", "inner_a"] } });
      const { outcome } = await run("subgraph", { threadId: req.threadId, command: { resume: "yes" }, config: pauseInChild });
      expect(outcome.values).toEqual({ trail: ["before", "inner_a", "inner_b:yes"] });
    });

    test("a thread without checkpoints is left as it is", async () => {
      const threadId = randomUUID();
      await maintenance().keepLatest(threadId);
      expect(await backend.checkpointCount(threadId)).toBe(0);
    });
  });

  test("deleteThread removes the thread's state and nothing else", async () => {
    const twoStep = await graph("two_step");
    const { req } = await run("two_step", { input: {} });
    const kept = await run("two_step", { input: {} });
    await maintenance().deleteThread(req.threadId);
    expect((await getThreadState(twoStep, req.threadId)).values).toEqual({});
    expect(await backend.checkpointCount(req.threadId)).toBe(0);
    expect((await getThreadState(twoStep, kept.req.threadId)).values).toEqual({ count: 11, steps: ["first", "second"] });
  });
});
