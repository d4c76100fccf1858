import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "../helpers/server.js";

const graphs = (name: string) => fileURLToPath(new URL(`../fixtures/graphs/${name}`, import.meta.url));

/** Runs executed on graph worker threads: the production default. */
describe("graph worker threads", () => {
  let server: TestServer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookgraph-pool-"));
    const configPath = join(dir, "langgraph.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        graphs: {
          echo: `${graphs("echo.ts")}:graph`,
          custom: `${graphs("custom.ts")}:graph`,
          error: `${graphs("error.ts")}:graph`,
          interrupt: `${graphs("interrupt.ts")}:graph`,
          slow: `${graphs("slow.ts")}:graph`,
          exit_thread: `${graphs("exit-thread.ts")}:graph`,
        },
      }),
    );
    server = await startTestServer({ configPath, workers: 2 });
  }, 60_000);
  afterAll(() => server?.dispose());

  it("streams the events of runs executed on worker threads", async () => {
    const thread = await server.client.threads.create();
    const chunks: { event: string; data: unknown }[] = [];
    for await (const chunk of server.client.runs.stream(thread.thread_id, "custom", { input: {}, streamMode: ["custom", "values"] })) {
      chunks.push({ event: chunk.event, data: chunk.data });
    }
    const events = chunks.map((chunk) => chunk.event);
    expect(events[0]).toBe("metadata");
    // Events cross from the worker in batches: every one arrives, in order, before the run ends.
    expect(chunks.filter((chunk) => chunk.event === "custom").map((chunk) => chunk.data)).toEqual([1, 2, 3].map((progress) => ({ progress, of: 3 })));
    expect(chunks.at(-1)).toEqual({ event: "values", data: { done: true } });
    const state = await server.client.threads.getState(thread.thread_id);
    expect(state.next).toEqual([]);
  });

  it("keeps the graph's error name and message", async () => {
    const thread = await server.client.threads.create();
    const result = await server.client.runs.wait(thread.thread_id, "error", { input: {}, raiseError: false });
    expect(result).toMatchObject({ __error__: { error: "FixtureFailure", message: "the fixture graph failed on purpose" } });
    expect((await server.client.threads.get(thread.thread_id)).status).toBe("error");
  });

  it("cancels a run executing on a worker thread promptly", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: 1000 } } });
    await waitForStatus(server, thread.thread_id, run.run_id, "running");
    const started = performance.now();
    await server.client.runs.cancel(thread.thread_id, run.run_id, true);
    expect(performance.now() - started).toBeLessThan(1500);
    expect((await server.client.runs.get(thread.thread_id, run.run_id)).status).toBe("interrupted");
  });

  it("runs concurrent runs on both workers", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        server.client.runs.wait(null, "echo", { input: { messages: [{ role: "human", content: `n${i}` }] } }),
      ),
    );
    results.forEach((values, i) => {
      const messages = (values as { messages: { content: string }[] }).messages;
      expect(messages.at(-1)!.content).toContain(`n${i}`);
    });
  });

  it("ends a run whose worker thread died with an error, and replaces the worker", async () => {
    const thread = await server.client.threads.create();
    const result = await server.client.runs.wait(thread.thread_id, "exit_thread", { input: {}, raiseError: false });
    expect(result).toMatchObject({ __error__: { error: "WorkerExited" } });
    // The pool replaced the worker: later runs still execute.
    const after = await server.client.runs.wait(null, "echo", { input: { messages: [{ role: "human", content: "still here" }] } });
    expect(JSON.stringify(after)).toContain("still here");
  });
});

async function waitForStatus(server: TestServer, threadId: string, runId: string, status: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if ((await server.client.runs.get(threadId, runId)).status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`run ${runId} never became ${status}`);
}
