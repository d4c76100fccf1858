import { describe, expect, test } from "vitest";
import type { Client } from "@langchain/langgraph-sdk";
import { collect, names, type Part, useRunsServer } from "./support.js";

// The fake chat model's answer (test/fixtures/graphs/chat.ts), streamed character by character.
const ANSWER = "Hi from the fake model";
const input = { messages: [{ role: "human", content: "hi" }] };

const server = useRunsServer();

const ofEvent = (parts: Part[], event: string) => parts.filter((part) => part.event === event).map((part) => part.data);

async function streamOn(graph: string, payload: Parameters<Client["runs"]["stream"]>[2]): Promise<Part[]> {
  const thread = await server.client.threads.create();
  return collect(server.client.runs.stream(thread.thread_id, graph, payload));
}

describe("stream modes", () => {
  test("metadata comes first, with the run id and attempt 1; values (default) follow", async () => {
    const thread = await server.client.threads.create();
    let runId: string | undefined;
    const parts = await collect(server.client.runs.stream(thread.thread_id, "echo", { input, onRunCreated: (meta) => (runId = meta.run_id) }));
    expect(parts[0]).toMatchObject({ event: "metadata", data: { run_id: runId, attempt: 1 } });
    expect(names(parts)).toEqual(["metadata", "values", "values"]);
    const last = parts.at(-1)!.data as { messages: { type: string; content: string }[] };
    expect(last.messages.map((m) => [m.type, m.content])).toEqual([
      ["human", "hi"],
      ["ai", "echo: hi"],
    ]);
    // Every event carries an id the client can resume after.
    expect(parts.every((part) => typeof part.id === "string" && part.id.length > 0)).toBe(true);
  });

  test("updates: one event per node with its writes", async () => {
    const parts = await streamOn("two_step", { input: {}, streamMode: "updates" });
    expect(ofEvent(parts, "updates")).toEqual([{ first: { count: 1, steps: ["first"] } }, { second: { count: 10, steps: ["second"] } }]);
  });

  test("custom: what nodes pass to config.writer, with several modes at once", async () => {
    const parts = await streamOn("custom", { input: {}, streamMode: ["custom", "updates", "values"] });
    expect(ofEvent(parts, "custom")).toEqual([1, 2, 3].map((step) => ({ progress: step, of: 3 })));
    expect(ofEvent(parts, "updates")).toEqual([{ work: { done: true } }]);
    expect(ofEvent(parts, "values").at(-1)).toEqual({ done: true });
  });

  test("messages-tuple: token chunks as [message, metadata]", async () => {
    const parts = await streamOn("chat", { input, streamMode: "messages-tuple" });
    const tuples = ofEvent(parts, "messages") as [{ type: string; content: string; id: string }, Record<string, unknown>][];
    expect(tuples.length).toBeGreaterThan(1);
    expect(tuples.every(([message]) => message.type === "AIMessageChunk")).toBe(true);
    expect(tuples.map(([message]) => message.content).join("")).toBe(ANSWER);
    expect(tuples[0][1]).toMatchObject({ langgraph_node: "chat", langgraph_step: 1 });
  });

  test("messages (legacy): metadata once, then partials accumulating the message; complete for a node's message", async () => {
    const chat = await streamOn("chat", { input, streamMode: "messages" });
    const metadata = ofEvent(chat, "messages/metadata") as Record<string, { metadata: Record<string, unknown> }>[];
    expect(metadata).toHaveLength(1);
    const [messageId] = Object.keys(metadata[0]);
    expect(metadata[0][messageId].metadata).toMatchObject({ langgraph_node: "chat" });
    const partials = ofEvent(chat, "messages/partial") as { id: string; type: string; content: string }[][];
    expect(partials.length).toBeGreaterThan(1);
    expect(partials.every(([message]) => message.id === messageId && message.type === "ai")).toBe(true);
    expect(partials.map(([message]) => message.content.length)).toEqual([...partials.keys()].map((i) => i + 1));
    expect(partials.at(-1)![0].content).toBe(ANSWER);

    const echo = await streamOn("echo", { input, streamMode: "messages" });
    expect(names(echo)).toEqual(["metadata", "messages/metadata", "messages/complete"]);
    expect(ofEvent(echo, "messages/complete")[0]).toEqual([expect.objectContaining({ type: "ai", content: "echo: hi" })]);
  });

  test("events: astream_events v2 of the whole run, the root run's id being the run id", async () => {
    const thread = await server.client.threads.create();
    let runId: string | undefined;
    const parts = await collect(
      server.client.runs.stream(thread.thread_id, "echo", { input, streamMode: "events", onRunCreated: (meta) => (runId = meta.run_id) }),
    );
    const events = ofEvent(parts, "events") as { event: string; name: string; run_id: string }[];
    expect(events[0]).toMatchObject({ event: "on_chain_start", run_id: runId });
    expect(events.at(-1)).toMatchObject({ event: "on_chain_end", run_id: runId });
    expect(events.some((event) => event.event === "on_chain_start" && event.name === "echo")).toBe(true);
  });

  test("debug: checkpoint, task and task_result events with steps", async () => {
    const parts = await streamOn("two_step", { input: {}, streamMode: "debug" });
    const debug = ofEvent(parts, "debug") as { type: string; step: number; payload: Record<string, unknown> }[];
    expect(new Set(debug.map((event) => event.type))).toEqual(new Set(["checkpoint", "task", "task_result"]));
    const results = debug.filter((event) => event.type === "task_result").map((event) => event.payload.name);
    expect(results).toEqual(["first", "second"]);
    const checkpoint = debug.find((event) => event.type === "checkpoint")!.payload;
    expect(checkpoint).toMatchObject({ checkpoint: { thread_id: expect.any(String), checkpoint_id: expect.any(String) } });
  });

  test("tasks: a start and a result per node", async () => {
    const parts = await streamOn("two_step", { input: {}, streamMode: "tasks" });
    const tasks = ofEvent(parts, "tasks") as Record<string, unknown>[];
    expect(tasks.map((task) => [task.name, "result" in task ? "result" : "start"])).toEqual([
      ["first", "start"],
      ["first", "result"],
      ["second", "start"],
      ["second", "result"],
    ]);
    expect(tasks[1]).toMatchObject({ id: tasks[0].id, result: { count: 1, steps: ["first"] } });
  });

  test("checkpoints: the state after each step, with the next nodes", async () => {
    const parts = await streamOn("two_step", { input: {}, streamMode: "checkpoints" });
    const checkpoints = ofEvent(parts, "checkpoints") as { values: unknown; next: string[]; metadata: Record<string, unknown> }[];
    expect(checkpoints.at(-1)).toMatchObject({ values: { count: 11, steps: ["first", "second"] }, next: [] });
    expect(checkpoints.map((checkpoint) => checkpoint.next)).toContainEqual(["second"]);
    expect(checkpoints.at(-1)!.metadata).toMatchObject({ source: "loop" });
  });

  test("stream_subgraphs: subgraph events are namespaced event|<node>:<task id>", async () => {
    const parts = await streamOn("subgraph", { input: {}, streamMode: ["updates", "custom"], streamSubgraphs: true });
    const namespaced = names(parts).filter((name) => name.includes("|"));
    expect(namespaced.length).toBeGreaterThan(0);
    expect(namespaced.every((name) => /^(updates|custom)\|child:[0-9a-f-]{36}$/.test(name))).toBe(true);
    const inner = parts.filter((part) => part.event.startsWith("updates|")).map((part) => Object.keys(part.data as object)[0]);
    expect(inner).toEqual(["inner_a", "inner_b"]);
    expect(parts.find((part) => part.event.startsWith("custom|"))!.data).toEqual({ from: "inner_a" });

    const flat = await streamOn("subgraph", { input: {}, streamMode: ["updates"] });
    expect(names(flat).some((name) => name.includes("|"))).toBe(false);
  });
});

describe("errors", () => {
  test("a throwing graph: error event {error, message}, run status error, thread status error with what the run got to", async () => {
    const thread = await server.client.threads.create();
    let runId: string | undefined;
    const parts = await collect(server.client.runs.stream(thread.thread_id, "error", { input: {}, onRunCreated: (meta) => (runId = meta.run_id) }));
    expect(parts.at(-1)).toEqual({
      event: "error",
      data: { error: "FixtureFailure", message: "the fixture graph failed on purpose" },
      id: expect.any(String),
    });
    expect((await server.client.runs.get(thread.thread_id, runId!)).status).toBe("error");
    const stored = await server.client.threads.get(thread.thread_id);
    expect(stored.status).toBe("error");
    expect(stored.values).toEqual({ seen: "ok" });
  });

  test("wait on a throwing graph answers __error__ (the SDK raises it)", async () => {
    const thread = await server.client.threads.create();
    await expect(server.client.runs.wait(thread.thread_id, "error", { input: {} })).rejects.toThrow(
      "FixtureFailure: the fixture graph failed on purpose",
    );
    const raw = await server.client.runs.wait(thread.thread_id, "error", { input: {}, raiseError: false });
    expect(raw).toEqual({ __error__: { error: "FixtureFailure", message: "the fixture graph failed on purpose" } });
  });
});
