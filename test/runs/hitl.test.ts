import { describe, expect, test } from "vitest";
import { collect, useRunsServer, type Part } from "./support.js";

const server = useRunsServer();

const interruptOf = (value: unknown) => ({ __interrupt__: [{ value, id: expect.stringMatching(/^[0-9a-f]{32}$/) }] });

describe("interrupt() and resume", () => {
  test("the run succeeds, the thread is interrupted, __interrupt__ is in values and updates events", async () => {
    const thread = await server.client.threads.create();
    let runId: string | undefined;
    const parts: Part[] = await collect(
      server.client.runs.stream(thread.thread_id, "interrupt", {
        input: { question: "ship it?" },
        streamMode: ["values", "updates"],
        onRunCreated: (meta) => (runId = meta.run_id),
      }),
    );
    const tail = parts.slice(-2);
    expect(tail).toEqual([
      { event: "updates", data: interruptOf({ question: "ship it?" }), id: expect.any(String) },
      { event: "values", data: interruptOf({ question: "ship it?" }), id: expect.any(String) },
    ]);
    expect((await server.client.runs.get(thread.thread_id, runId!)).status).toBe("success");
    const stored = await server.client.threads.get(thread.thread_id);
    expect(stored.status).toBe("interrupted");
    expect(Object.values(stored.interrupts).flat()).toEqual([{ value: { question: "ship it?" }, id: expect.any(String) }]);
    // join of the paused run answers what wait would.
    expect(await server.client.runs.join(thread.thread_id, runId!)).toEqual(interruptOf({ question: "ship it?" }));
  });

  test("wait answers {__interrupt__}; command.resume continues to the end", async () => {
    const thread = await server.client.threads.create();
    const paused = await server.client.runs.wait(thread.thread_id, "interrupt", { input: { question: "ship it?" } });
    expect(paused).toEqual(interruptOf({ question: "ship it?" }));
    const done = await server.client.runs.wait(thread.thread_id, "interrupt", { command: { resume: "yes" } });
    expect(done).toEqual({ question: "ship it?", answer: "yes", log: ["prepare:ship it?", "answer:yes", "finish:yes"] });
    const stored = await server.client.threads.get(thread.thread_id);
    expect(stored.status).toBe("idle");
    expect(stored.interrupts).toEqual({});
  });

  test("an interrupt inside a subgraph surfaces the same way and resumes", async () => {
    const thread = await server.client.threads.create();
    const config = { configurable: { pause_in_child: true } };
    expect(await server.client.runs.wait(thread.thread_id, "subgraph", { input: {}, config })).toEqual(interruptOf({ where: "inner_b" }));
    expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
    expect(await server.client.runs.wait(thread.thread_id, "subgraph", { command: { resume: "ok" }, config })).toEqual({
      trail: ["before", "inner_a", "inner_b:ok"],
    });
  });
});

describe("commands", () => {
  test("command.update writes state and goto picks the node to run", async () => {
    const thread = await server.client.threads.create();
    const values = await server.client.runs.wait(thread.thread_id, "two_step", { command: { update: { count: 5 }, goto: "second" } });
    expect(values).toEqual({ count: 15, steps: ["second"] });
  });

  test("goto with a Send runs the node with the given input", async () => {
    const thread = await server.client.threads.create();
    const values = await server.client.runs.wait(thread.thread_id, "two_step", {
      command: { goto: { node: "second", input: { count: 100, steps: ["sent"] } } },
    });
    expect(values).toEqual({ count: 10, steps: ["second"] });
  });
});

describe("interrupt_before / interrupt_after", () => {
  test("interrupt_before pauses before the node: values so far (no empty __interrupt__ values event), thread interrupted", async () => {
    const thread = await server.client.threads.create();
    const parts = await collect(
      server.client.runs.stream(thread.thread_id, "two_step", { input: {}, interruptBefore: ["second"], streamMode: ["values", "updates"] }),
    );
    const values = parts.filter((part) => part.event === "values").map((part) => part.data);
    expect(values.at(-1)).toEqual({ count: 1, steps: ["first"] });
    expect(parts.at(-1)).toMatchObject({ event: "updates", data: { __interrupt__: [] } });
    const stored = await server.client.threads.get(thread.thread_id);
    expect(stored.status).toBe("interrupted");
    expect((await server.client.threads.getState(thread.thread_id)).next).toEqual(["second"]);

    // A run without input continues from the pause.
    expect(await server.client.runs.wait(thread.thread_id, "two_step", { input: null })).toEqual({ count: 11, steps: ["first", "second"] });
    expect((await server.client.threads.get(thread.thread_id)).status).toBe("idle");
  });

  test("wait with interrupt_after answers the values at the pause", async () => {
    const thread = await server.client.threads.create();
    expect(await server.client.runs.wait(thread.thread_id, "two_step", { input: {}, interruptAfter: ["first"] })).toEqual({
      count: 1,
      steps: ["first"],
    });
    expect((await server.client.threads.get(thread.thread_id)).status).toBe("interrupted");
    expect(await server.client.runs.wait(thread.thread_id, "two_step", { input: null, interruptAfter: "*" })).toEqual({
      count: 11,
      steps: ["first", "second"],
    });
  });
});
