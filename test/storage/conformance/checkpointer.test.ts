import { expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { executeRun } from "../../../src/runtime/execute.js";
import { getThreadHistory, getThreadState, updateThreadState } from "../../../src/runtime/state.js";
import { describeGraphPersistence } from "./graph-persistence.js";
import { never, request } from "../../runtime/helpers.js";

describeGraphPersistence("checkpointer", (backend) => {
  const saver = () => backend.persistence().checkpointer;

  test("stores run metadata and scalar configurable values with each checkpoint, minus secrets and internals", async () => {
    const threadId = randomUUID();
    const config = {
      configurable: { thread_id: threadId, checkpoint_ns: "", run_id: "r1", user_id: "u", openai_api_key: "sk", __pregel_x: 1, nested: { a: 1 } },
      metadata: { assistant_id: "a1", ls_integration: "langgraph", step: 99 },
    };
    await saver().put(config, emptyCheckpoint(), { source: "loop", step: 1, parents: {} }, {});
    const tuple = await saver().getTuple({ configurable: { thread_id: threadId, checkpoint_ns: "" } });
    expect(tuple!.metadata).toEqual({ thread_id: threadId, run_id: "r1", user_id: "u", assistant_id: "a1", source: "loop", step: 1, parents: {} });
  });

  test("a run's checkpoints are found by its run_id", async () => {
    const threadId = randomUUID();
    const first = request("two_step", { threadId, input: {} });
    await executeRun(backend.registry(), first, () => {}, never());
    await executeRun(backend.registry(), request("two_step", { threadId, input: {} }), () => {}, never());
    const found = [];
    for await (const tuple of saver().list({ configurable: { thread_id: threadId, checkpoint_ns: "" } }, { filter: { run_id: first.runId } })) {
      found.push(tuple.metadata);
    }
    expect(found.map((metadata) => metadata!.step)).toEqual([2, 1, 0, -1]);
  });

  test("attempt > 1 continues from the checkpoint the run already wrote", async () => {
    const req = request("two_step", { input: {}, interruptBefore: ["second"] });
    await executeRun(backend.registry(), req, () => {}, never()); // attempt 1 "died" after the first node
    const retried = await executeRun(backend.registry(), { ...req, interruptBefore: undefined, attempt: 2 }, () => {}, never());
    expect(retried.values).toEqual({ count: 11, steps: ["first", "second"] });
  });

  test("a fork from an older checkpoint reads its own values, not those of the branch it left", async () => {
    const twoStep = await backend.registry().get("two_step");
    const req = request("two_step", { input: {} });
    await executeRun(backend.registry(), req, () => {}, never());
    const afterFirst = (await getThreadHistory(twoStep, req.threadId)).find((state) => state.next[0] === "second")!;
    await updateThreadState(twoStep, req.threadId, { values: { count: 100, steps: ["fork"] }, asNode: "first", checkpoint: afterFirst.checkpoint });
    expect((await getThreadState(twoStep, req.threadId)).values).toEqual({ count: 101, steps: ["first", "fork"] });
    const resumed = await executeRun(backend.registry(), { ...req, runId: randomUUID(), input: null }, () => {}, never());
    expect(resumed.values).toEqual({ count: 111, steps: ["first", "fork", "second"] });
  });

  test("messages read back from checkpoints are the graph's own classes", async () => {
    // The echo graph throws on a message of another class: the registry gave the saver the graphs' serializer.
    const threadId = randomUUID();
    const say = (content: string) => request("echo", { threadId, input: { messages: [{ role: "user", content }] } });
    await executeRun(backend.registry(), say("one"), () => {}, never());
    const second = await executeRun(backend.registry(), say("two"), () => {}, never());
    expect((second.values as { messages: Array<{ content: string }> }).messages.map((message) => message.content)).toEqual([
      "one",
      "echo: one",
      "two",
      "echo: two",
    ]);
  });
});
