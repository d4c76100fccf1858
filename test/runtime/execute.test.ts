import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { executeRun, RunAbortedError } from "../../src/runtime/execute.js";
import { never, openRuntime, recorder, request, type Runtime } from "./helpers.js";

const ANSWER = "Hi from the fake model";
let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt.close());

type Msg = { type: string; content: string; id: string };

describe("stream modes", () => {
  test("values: the state after each step, messages in the Python shape", async () => {
    const r = recorder();
    const outcome = await executeRun(rt.registry, request("echo", { input: { messages: [{ role: "user", content: "hi" }] } }), r.emit, never());
    expect(r.names()).toEqual(["values", "values"]);
    const [first, last] = r.events.map((e) => e.data as { messages: Msg[] });
    expect(first.messages).toEqual([expect.objectContaining({ type: "human", content: "hi", example: false, name: null })]);
    expect(last.messages.map((m) => [m.type, m.content])).toEqual([["human", "hi"], ["ai", "echo: hi"]]);
    expect(outcome).toEqual({ status: "success", values: last, interrupts: {} });
  });

  test("updates: one event per node with that node's writes", async () => {
    const r = recorder();
    await executeRun(rt.registry, request("two_step", { input: {}, streamMode: ["updates"] }), r.emit, never());
    expect(r.events).toEqual([
      { event: "updates", data: { first: { count: 1, steps: ["first"] } } },
      { event: "updates", data: { second: { count: 10, steps: ["second"] } } },
    ]);
  });

  test("custom: what the node wrote with config.writer", async () => {
    const r = recorder();
    await executeRun(rt.registry, request("custom", { input: {}, streamMode: ["custom"] }), r.emit, never());
    expect(r.events).toEqual([1, 2, 3].map((step) => ({ event: "custom", data: { progress: step, of: 3 } })));
  });

  test("messages-tuple: [chunk, metadata] per token, chunks typed AIMessageChunk", async () => {
    const r = recorder();
    const req = request("chat", { input: { messages: [{ role: "user", content: "hello" }] }, streamMode: ["messages-tuple"] });
    await executeRun(rt.registry, req, r.emit, never());
    expect(new Set(r.names())).toEqual(new Set(["messages"]));
    const tuples = r.events.map((e) => e.data as [Msg, Record<string, unknown>]);
    expect(tuples.length).toBe(ANSWER.length);
    expect(tuples.map(([m]) => m.content).join("")).toBe(ANSWER);
    expect(new Set(tuples.map(([m]) => m.type))).toEqual(new Set(["AIMessageChunk"]));
    expect(new Set(tuples.map(([m]) => m.id)).size).toBe(1);
    expect(tuples[0][1]).toMatchObject({ langgraph_node: "chat", langgraph_step: 1, thread_id: req.threadId, run_id: req.runId, graph_id: "chat" });
  });

  test("messages (legacy): metadata once, then partials accumulating the content", async () => {
    const r = recorder();
    await executeRun(rt.registry, request("chat", { input: { messages: [{ role: "user", content: "hello" }] }, streamMode: ["messages"] }), r.emit, never());
    expect(r.names()[0]).toBe("messages/metadata");
    expect(r.names().slice(1)).toEqual(Array(ANSWER.length).fill("messages/partial"));
    const [id] = Object.keys(r.events[0].data as object);
    expect((r.events[0].data as Record<string, { metadata: { langgraph_node: string } }>)[id].metadata.langgraph_node).toBe("chat");
    const partials = r.events.slice(1).map((e) => (e.data as Msg[])[0]);
    partials.forEach((m, i) => expect(m).toMatchObject({ id, type: "ai", content: ANSWER.slice(0, i + 1) }));
  });

  test("messages (legacy): a node's finished message is messages/complete", async () => {
    const r = recorder();
    await executeRun(rt.registry, request("echo", { input: { messages: [{ role: "user", content: "yo" }] }, streamMode: ["messages"] }), r.emit, never());
    expect(r.names()).toEqual(["messages/metadata", "messages/complete"]);
    expect(r.events[1].data).toEqual([expect.objectContaining({ type: "ai", content: "echo: yo" })]);
  });

  test("debug, tasks and checkpoints: official payload shapes", async () => {
    const r = recorder();
    const req = request("two_step", { input: {}, streamMode: ["debug", "tasks", "checkpoints"] });
    await executeRun(rt.registry, req, r.emit, never());
    const of = (name: string) => r.events.filter((e) => e.event === name).map((e) => e.data as Record<string, any>);

    const checkpoints = of("checkpoints");
    expect(checkpoints.map((c) => c.metadata.step)).toEqual([-1, 0, 1, 2]);
    expect(checkpoints.at(-1)).toMatchObject({ values: { count: 11, steps: ["first", "second"] }, next: [] });
    for (const c of checkpoints) {
      expect(c.checkpoint).toEqual({ thread_id: req.threadId, checkpoint_ns: "", checkpoint_id: expect.any(String), checkpoint_map: null });
      expect(c.metadata).toMatchObject({ run_id: req.runId, graph_id: "two_step", thread_id: req.threadId });
      expect(Object.keys(c.config.configurable).filter((k) => k.startsWith("__"))).toEqual([]);
      expect(c).toHaveProperty("parent_config");
    }
    expect(checkpoints[1].parent_checkpoint.checkpoint_id).toBe(checkpoints[0].checkpoint.checkpoint_id);

    const tasks = of("tasks");
    expect(tasks.map((t) => [t.name, "result" in t])).toEqual([["first", false], ["first", true], ["second", false], ["second", true]]);
    expect(tasks[0]).toMatchObject({ id: expect.any(String), input: { count: 0, steps: [] }, triggers: ["branch:to:first"] });
    expect(tasks[1]).toMatchObject({ id: tasks[0].id, result: { count: 1, steps: ["first"] }, error: null, interrupts: [] });

    const debug = of("debug");
    expect(debug.map((d) => d.type)).toEqual(["checkpoint", "checkpoint", "task", "task_result", "checkpoint", "task", "task_result", "checkpoint"]);
    expect(debug[0]).toMatchObject({ step: -1, timestamp: expect.any(String), payload: { checkpoint: checkpoints[0].checkpoint } });
    expect(debug.find((d) => d.type === "task_result")!.payload).toEqual(tasks[1]);
  });

  test("events: astream_events v2 events, the run's own id on the root", async () => {
    const r = recorder();
    const req = request("chat", { input: { messages: [{ role: "user", content: "hello" }] }, streamMode: ["events", "values"] });
    await executeRun(rt.registry, req, r.emit, never());
    const events = r.events.filter((e) => e.event === "events").map((e) => e.data as Record<string, any>);
    for (const e of events) expect(e).toEqual(expect.objectContaining({ event: expect.any(String), name: expect.any(String), run_id: expect.any(String), data: expect.any(Object) }));
    expect(events[0]).toMatchObject({ event: "on_chain_start", name: "LangGraph", run_id: req.runId });
    expect(events.at(-1)).toMatchObject({ event: "on_chain_end", name: "LangGraph", run_id: req.runId });
    const tokens = events.filter((e) => e.event === "on_chat_model_stream");
    expect(tokens.map((e) => e.data.chunk.content).join("")).toBe(ANSWER);
    expect(tokens[0].data.chunk.type).toBe("AIMessageChunk");
    expect(events.some((e) => e.event === "on_chain_stream" && e.run_id === req.runId)).toBe(false);
    expect(JSON.stringify(events)).not.toContain('"lc":1');
    // Stream modes asked for next to events still arrive as their own events.
    expect(r.names().filter((n) => n === "values")).toHaveLength(2);
  });
});

describe("subgraphs", () => {
  test("with streamSubgraphs, subgraph events carry |namespace", async () => {
    const r = recorder();
    await executeRun(rt.registry, request("subgraph", { input: {}, streamMode: ["updates", "custom"], streamSubgraphs: true }), r.emit, never());
    const names = r.names();
    const ns = names.find((n) => n.startsWith("updates|"))!.split("|")[1];
    expect(ns).toMatch(/^child:[0-9a-f-]{36}$/);
    expect(r.events).toEqual([
      { event: "updates", data: { before: { trail: ["before"] } } },
      { event: `custom|${ns}`, data: { from: "inner_a" } },
      { event: `updates|${ns}`, data: { inner_a: { trail: ["inner_a"] } } },
      { event: `updates|${ns}`, data: { inner_b: { trail: ["inner_b"] } } },
      { event: "updates", data: { child: { trail: ["before", "inner_a", "inner_b"] } } },
    ]);
  });

  test("without streamSubgraphs, only the parent's events", async () => {
    const r = recorder();
    await executeRun(rt.registry, request("subgraph", { input: {}, streamMode: ["updates"] }), r.emit, never());
    expect(r.names()).toEqual(["updates", "updates"]);
  });

  test("an interrupt inside a subgraph pauses the run", async () => {
    const req = request("subgraph", { input: {}, config: { configurable: { pause_in_child: true } } });
    const outcome = await executeRun(rt.registry, req, () => {}, never());
    expect(outcome.status).toBe("interrupted");
    expect(Object.values(outcome.interrupts).flat()).toEqual([{ value: { where: "inner_b" }, id: expect.any(String) }]);
    const resumed = await executeRun(rt.registry, { ...req, runId: randomUUID(), input: null, command: { resume: "ok" } }, () => {}, never());
    expect(resumed).toMatchObject({ status: "success", values: { trail: ["before", "inner_a", "inner_b:ok"] } });
  });
});

describe("interrupts", () => {
  test("interrupt() pauses with __interrupt__ in values/updates; Command resume finishes", async () => {
    const r = recorder();
    const req = request("interrupt", { input: { question: "ship it?" }, streamMode: ["values", "updates"] });
    const paused = await executeRun(rt.registry, req, r.emit, never());
    expect(paused.status).toBe("interrupted");
    expect(paused.values).toEqual({ question: "ship it?", log: ["prepare:ship it?"] });
    const [[taskId, interrupts]] = Object.entries(paused.interrupts);
    expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
    expect(interrupts).toEqual([{ value: { question: "ship it?" }, id: expect.any(String) }]);
    const interruptJson = [{ id: interrupts[0].id, value: { question: "ship it?" } }];
    expect(r.events.slice(-2)).toEqual([
      { event: "updates", data: { __interrupt__: interruptJson } },
      { event: "values", data: { __interrupt__: interruptJson } },
    ]);

    const resume = recorder();
    const done = await executeRun(rt.registry, { ...req, runId: randomUUID(), input: null, command: { resume: "yes" } }, resume.emit, never());
    expect(done).toEqual({
      status: "success",
      values: { question: "ship it?", answer: "yes", log: ["prepare:ship it?", "answer:yes", "finish:yes"] },
      interrupts: {},
    });
    expect(resume.events.at(-1)).toEqual({ event: "values", data: done.values });
  });

  test("interruptBefore pauses before the node; a null-input run continues", async () => {
    const req = request("two_step", { input: {}, interruptBefore: ["second"] });
    const paused = await executeRun(rt.registry, req, () => {}, never());
    expect(paused).toEqual({ status: "interrupted", values: { count: 1, steps: ["first"] }, interrupts: {} });
    const done = await executeRun(rt.registry, { ...req, runId: randomUUID(), input: null, interruptBefore: undefined }, () => {}, never());
    expect(done).toEqual({ status: "success", values: { count: 11, steps: ["first", "second"] }, interrupts: {} });
  });

  test("interruptAfter '*' pauses after every node", async () => {
    const outcome = await executeRun(rt.registry, request("two_step", { input: {}, interruptAfter: "*" }), () => {}, never());
    expect(outcome).toMatchObject({ status: "interrupted", values: { count: 1 } });
  });
});

describe("commands", () => {
  test("goto with a Send runs the node with the given input", async () => {
    const req = request("two_step", { command: { goto: { node: "second", input: { count: 100, steps: ["sent"] } } } });
    const outcome = await executeRun(rt.registry, req, () => {}, never());
    expect(outcome.values).toEqual({ count: 10, steps: ["second"] });
  });

  test("update writes state before running", async () => {
    const req = request("two_step", { command: { update: { count: 5 }, goto: "second" } });
    expect((await executeRun(rt.registry, req, () => {}, never())).values).toEqual({ count: 15, steps: ["second"] });
  });
});

describe("retries, threads and config", () => {
  test("a resumed run continues from the checkpoint it already wrote instead of re-applying input", async () => {
    const req = request("two_step", { input: {}, interruptBefore: ["second"] });
    await executeRun(rt.registry, req, () => {}, never()); // attempt 1 "died" after the first node
    const retried = await executeRun(rt.registry, { ...req, interruptBefore: undefined, attempt: 2, resumed: true }, () => {}, never());
    expect(retried.values).toEqual({ count: 11, steps: ["first", "second"] });
  });

  test("a resumed run without an earlier checkpoint runs the input", async () => {
    const outcome = await executeRun(rt.registry, request("two_step", { input: {}, attempt: 3, resumed: true }), () => {}, never());
    expect(outcome.values).toEqual({ count: 11, steps: ["first", "second"] });
  });

  test("a second run on a thread sees the first run's messages, revived as the graph's own classes", async () => {
    const threadId = randomUUID();
    await executeRun(rt.registry, request("echo", { threadId, input: { messages: [{ role: "user", content: "one" }] } }), () => {}, never());
    const second = await executeRun(rt.registry, request("echo", { threadId, input: { messages: [{ role: "user", content: "two" }] } }), () => {}, never());
    expect((second.values as { messages: Msg[] }).messages.map((m) => m.content)).toEqual(["one", "echo: one", "two", "echo: two"]);
  });

  test("run ids, configurable and metadata reach the graph and the checkpoints; secret-like keys stay out", async () => {
    const req = request("factory", {
      input: { name: "Ann" },
      config: { configurable: { greeting_word: "Hola", api_key: "sk-1" }, metadata: { origin: "test" } },
      metadata: { purpose: "check" },
    });
    const outcome = await executeRun(rt.registry, req, () => {}, never());
    expect(outcome.values).toEqual({ name: "Ann", greeting: "Hola, Ann!" });
    const tuple = await rt.checkpointer.getTuple({ configurable: { thread_id: req.threadId, checkpoint_ns: "" } });
    expect(tuple!.metadata).toMatchObject({
      run_id: req.runId,
      thread_id: req.threadId,
      assistant_id: req.assistantId,
      graph_id: "factory",
      greeting_word: "Hola",
      origin: "test",
      purpose: "check",
      run_attempt: 1,
      source: "loop",
    });
    expect(tuple!.metadata).not.toHaveProperty("api_key");
  });

  test("the store reaches graphs", async () => {
    const config = { configurable: { user_id: "u-store" } };
    await executeRun(rt.registry, request("store", { input: { note: "a" }, config }), () => {}, never());
    const second = await executeRun(rt.registry, request("store", { input: { note: "b" }, config }), () => {}, never());
    expect(second.values).toMatchObject({ count: 2 });
    const items = await rt.store.search(["notes", "u-store"]);
    expect(items.map((i) => i.value.text).sort()).toEqual(["a", "b"]);
  });

  test("ephemeral runs keep no checkpoint and report the streamed values", async () => {
    const req = request("two_step", { input: {}, ephemeral: true, streamMode: ["updates"] });
    const r = recorder();
    const outcome = await executeRun(rt.registry, req, r.emit, never());
    expect(outcome.values).toEqual({ count: 11, steps: ["first", "second"] });
    expect(r.names()).toEqual(["updates", "updates"]);
    expect(await rt.checkpointer.getTuple({ configurable: { thread_id: req.threadId, checkpoint_ns: "" } })).toBeUndefined();
  });

  test("recursion_limit from the config is enforced", async () => {
    const req = request("slow", { input: {}, config: { recursion_limit: 2, configurable: { delay_ms: 1 } } });
    await expect(executeRun(rt.registry, req, () => {}, never())).rejects.toMatchObject({ name: "GraphRecursionError" });
  });
});

describe("concurrency", () => {
  test("concurrent runs of one graph (shared copy) and of a factory stay apart", async () => {
    const runs = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? executeRun(rt.registry, request("echo", { input: { messages: [{ role: "user", content: `m${i}` }] } }), () => {}, never())
        : executeRun(rt.registry, request("factory", { input: { name: `n${i}` }, config: { configurable: { greeting_word: `w${i}` } } }), () => {}, never()),
    );
    const outcomes = await Promise.all(runs);
    outcomes.forEach((outcome, i) => {
      if (i % 2 === 0) expect((outcome.values as { messages: Msg[] }).messages.at(-1)!.content).toBe(`echo: m${i}`);
      else expect(outcome.values).toEqual({ name: `n${i}`, greeting: `w${i}, n${i}!` });
    });
  });

  test("no stream modes: nothing emitted, the outcome still reported", async () => {
    const r = recorder();
    const outcome = await executeRun(rt.registry, request("two_step", { input: {}, streamMode: [] }), r.emit, never());
    expect(r.events).toEqual([]);
    expect(outcome.values).toEqual({ count: 11, steps: ["first", "second"] });
  });
});

describe("failure and cancellation", () => {
  test("a graph error rejects with the error's name and message; state up to the failure is kept", async () => {
    const r = recorder();
    const req = request("error", { input: {}, streamMode: ["values"] });
    const error = await executeRun(rt.registry, req, r.emit, never()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "FixtureFailure", message: "the fixture graph failed on purpose" });
    expect(r.events.at(-1)).toEqual({ event: "values", data: { seen: "ok" } });
    const tuple = await rt.checkpointer.getTuple({ configurable: { thread_id: req.threadId, checkpoint_ns: "" } });
    expect(tuple!.checkpoint.channel_values.seen).toBe("ok");
  });

  test("aborting stops a slow run promptly", async () => {
    const controller = new AbortController();
    const req = request("slow", { input: {}, streamMode: ["updates"] });
    const r = recorder();
    setTimeout(() => controller.abort(), 450);
    const started = Date.now();
    const error = await executeRun(rt.registry, req, r.emit, controller.signal).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(RunAbortedError);
    expect(elapsed).toBeLessThan(700); // five steps would take 1500 ms
    expect(r.events.length).toBeLessThan(5);
  });

  test("aborting with a reason rejects with that reason; an aborted signal never starts", async () => {
    const controller = new AbortController();
    const reason = new Error("rollback requested");
    setTimeout(() => controller.abort(reason), 100);
    await expect(executeRun(rt.registry, request("slow", { input: {} }), () => {}, controller.signal)).rejects.toBe(reason);
    const r = recorder();
    await expect(executeRun(rt.registry, request("echo", { input: {} }), r.emit, controller.signal)).rejects.toBe(reason);
    expect(r.events).toEqual([]);
  });
});
