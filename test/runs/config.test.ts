import { describe, expect, test } from "vitest";
import { Client } from "@langchain/langgraph-sdk";
import { startTestServer } from "../helpers/server.js";
import { kwargsOf, onCompletion, useRunsServer } from "./support.js";

const server = useRunsServer();

interface Seen {
  configurable: Record<string, unknown>;
  context: unknown;
  metadata: Record<string, unknown>;
}
const seenBy = (values: unknown) => (values as { seen: Seen }).seen;

describe("config, context and metadata", () => {
  test("configurable values reach the graph, the run's over the assistant's, with the run's ids", async () => {
    const assistant = await server.client.assistants.create({ graphId: "probe", config: { configurable: { tier: "gold", region: "eu" } } });
    const thread = await server.client.threads.create();
    let runId: string | undefined;
    const values = await server.client.runs.wait(thread.thread_id, assistant.assistant_id, {
      input: {},
      config: { configurable: { region: "us", user_value: 7 } },
      onRunCreated: (meta) => (runId = meta.run_id),
    });
    expect(seenBy(values).configurable).toMatchObject({
      tier: "gold",
      region: "us",
      user_value: 7,
      thread_id: thread.thread_id,
      run_id: runId,
      assistant_id: assistant.assistant_id,
      graph_id: "probe",
    });
    const run = await server.client.runs.get(thread.thread_id, runId!);
    expect(kwargsOf(run).config).toMatchObject({ configurable: { tier: "gold", region: "us", user_value: 7 } });
  });

  test("context reaches the graph, merged over the assistant's", async () => {
    const assistant = await server.client.assistants.create({ graphId: "probe", context: { model: "small", temperature: 0 } });
    const values = await server.client.runs.wait(null, assistant.assistant_id, { input: {}, context: { model: "large" } });
    expect(seenBy(values).context).toEqual({ model: "large", temperature: 0 });
  });

  test("run metadata is stored, given to the graph and written with its checkpoints", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "probe", { input: {}, metadata: { purpose: "audit", n: 3 } });
    const values = await server.client.runs.join(thread.thread_id, run.run_id);
    expect(run.metadata).toEqual({ purpose: "audit", n: 3 });
    expect(seenBy(values).metadata).toMatchObject({ purpose: "audit", n: 3, run_id: run.run_id, run_attempt: 1 });
    const history = await server.client.threads.getHistory(thread.thread_id);
    expect(history[0].metadata).toMatchObject({ purpose: "audit", run_id: run.run_id });
  });
});

describe("checkpoints and durability", () => {
  const ask = (text: string) => ({ messages: [{ role: "human", content: text }] });
  const contents = (values: unknown) => (values as { messages: { content: string }[] }).messages.map((m) => m.content);

  test("checkpoint_id runs from an earlier checkpoint (a fork), as does checkpoint {checkpoint_id}", async () => {
    const thread = await server.client.threads.create();
    await server.client.runs.wait(thread.thread_id, "echo", { input: ask("one") });
    const afterFirst = (await server.client.threads.getState(thread.thread_id)).checkpoint.checkpoint_id!;
    await server.client.runs.wait(thread.thread_id, "echo", { input: ask("two") });

    const forked = await server.client.runs.wait(thread.thread_id, "echo", { input: ask("three"), checkpointId: afterFirst });
    expect(contents(forked)).toEqual(["one", "echo: one", "three", "echo: three"]);
    const again = await server.client.runs.wait(thread.thread_id, "echo", { input: ask("four"), checkpoint: { checkpoint_id: afterFirst, checkpoint_ns: "", checkpoint_map: null } });
    expect(contents(again)).toEqual(["one", "echo: one", "four", "echo: four"]);
  });

  test("durability is stored and honoured: exit writes fewer checkpoints than async; checkpoint_during false means exit", async () => {
    const count = async (durability?: "async" | "exit", checkpointDuring?: boolean) => {
      const thread = await server.client.threads.create();
      const run = await server.client.runs.create(thread.thread_id, "two_step", { input: {}, durability, checkpointDuring });
      expect(await server.client.runs.join(thread.thread_id, run.run_id)).toEqual({ count: 11, steps: ["first", "second"] });
      const stored = await server.client.runs.get(thread.thread_id, run.run_id);
      const history = await server.client.threads.getHistory(thread.thread_id, { limit: 100 });
      return { durability: kwargsOf(stored).durability, checkpoints: history.length };
    };
    const async = await count("async");
    const exit = await count("exit");
    expect(async.durability).toBe("async");
    expect(exit.durability).toBe("exit");
    expect(exit.checkpoints).toBeLessThan(async.checkpoints);
    expect((await count(undefined, false)).durability).toBe("exit");
    expect((await count()).durability).toBe("async");
  });

  test("a stateless run whose thread is deleted checkpoints at exit by default; one that keeps it, or names durability, as asked", async () => {
    const durabilityOf = async (options: { onCompletion?: "delete" | "keep"; durability?: "sync" | "async" | "exit" }) => {
      const { onCompletion: completion, ...rest } = options;
      const run = await server.client.runs.create(null, "two_step", {
        input: {},
        ...rest,
        ...(completion ? { onCompletion: onCompletion(completion) } : {}),
      });
      return kwargsOf(run).durability;
    };
    expect(await durabilityOf({})).toBe("exit");
    expect(await durabilityOf({ onCompletion: "delete" })).toBe("exit");
    expect(await durabilityOf({ onCompletion: "keep" })).toBe("async");
    expect(await durabilityOf({ durability: "sync" })).toBe("sync");
    // Interrupts still pause a stateless run checkpointed only at exit.
    expect(await server.client.runs.wait(null, "two_step", { input: {}, interruptBefore: ["second"] })).toEqual({ count: 1, steps: ["first"] });
  });
});

describe("request headers and the run's config", () => {
  const SECRET = "s3cret-value";
  const headers = {
    Authorization: `Bearer ${SECRET}`,
    Cookie: `session=${SECRET}`,
    "X-Api-Key": SECRET,
    "X-Hidden-Token": SECRET,
    "X-User-Id": "user-1",
  };

  test("credentials never reach kwargs.config, even when http.configurable_headers includes them", async () => {
    const withHeaders = new Client({ apiUrl: server.url, defaultHeaders: headers });
    const thread = await withHeaders.threads.create();
    const run = await withHeaders.runs.create(thread.thread_id, "probe", { input: {} });
    const values = await withHeaders.runs.join(thread.thread_id, run.run_id);
    // Included by the pattern "x-*": the graph and the stored run see it.
    expect(seenBy(values).configurable["x-user-id"]).toBe("user-1");
    expect((kwargsOf(run).config as { configurable: Record<string, unknown> }).configurable["x-user-id"]).toBe("user-1");
    for (const shown of [run, await withHeaders.runs.get(thread.thread_id, run.run_id), await withHeaders.runs.list(thread.thread_id), values]) {
      expect(JSON.stringify(shown)).not.toContain(SECRET);
    }
    const history = await withHeaders.threads.getHistory(thread.thread_id);
    expect(JSON.stringify(history)).not.toContain(SECRET);
  });

  test("without http.configurable_headers no request header is copied", async () => {
    const plain = await startTestServer({ workers: 0, logLevel: "error" });
    try {
      const withHeaders = new Client({ apiUrl: plain.url, defaultHeaders: headers });
      const thread = await withHeaders.threads.create();
      const run = await withHeaders.runs.create(thread.thread_id, "two_step", { input: {} });
      const configurable = (kwargsOf(run).config as { configurable: Record<string, unknown> }).configurable;
      expect(Object.keys(configurable).filter((key) => key.startsWith("x-") || key === "authorization" || key === "cookie")).toEqual([]);
      expect(JSON.stringify(run)).not.toContain(SECRET);
      await withHeaders.runs.join(thread.thread_id, run.run_id);
    } finally {
      await plain.dispose();
    }
  });
});
