import { describe, expect, test } from "vitest";
import { collect, eventually, kwargsOf, names, onCompletion, postJson, useRunsServer } from "./support.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const input = { messages: [{ role: "human", content: "hi" }] };

const server = useRunsServer();

describe("thread runs", () => {
  test("create answers the pending run and names it in Content-Location; join, get and list follow it", async () => {
    const thread = await server.client.threads.create();
    let announced: { run_id: string; thread_id?: string } | undefined;
    const run = await server.client.runs.create(thread.thread_id, "two_step", {
      input: {},
      metadata: { purpose: "lifecycle" },
      onRunCreated: (meta) => (announced = meta),
    });
    expect(run).toMatchObject({
      run_id: expect.stringMatching(UUID),
      thread_id: thread.thread_id,
      assistant_id: expect.stringMatching(UUID),
      status: "pending",
      metadata: { purpose: "lifecycle" },
      multitask_strategy: "enqueue",
    });
    expect(announced).toEqual({ run_id: run.run_id, thread_id: thread.thread_id });

    expect(await server.client.runs.join(thread.thread_id, run.run_id)).toEqual({ count: 11, steps: ["first", "second"] });
    // Joining an ended run answers at once, with the same output.
    expect(await server.client.runs.join(thread.thread_id, run.run_id)).toEqual({ count: 11, steps: ["first", "second"] });
    const fetched = await server.client.runs.get(thread.thread_id, run.run_id);
    expect(fetched).toMatchObject({ run_id: run.run_id, status: "success" });
    expect(kwargsOf(fetched)).toMatchObject({ input: {}, stream_mode: ["values"] });
    expect(Date.parse(fetched.updated_at)).toBeGreaterThanOrEqual(Date.parse(fetched.created_at));
    expect((await server.client.threads.get(thread.thread_id)).status).toBe("idle");
  });

  test("wait answers the final values and names the run in Content-Location", async () => {
    const thread = await server.client.threads.create();
    let announced: { run_id: string; thread_id?: string } | undefined;
    const values = await server.client.runs.wait(thread.thread_id, "echo", { input, onRunCreated: (meta) => (announced = meta) });
    expect((values as { messages: { content: string }[] }).messages.map((m) => m.content)).toEqual(["hi", "echo: hi"]);
    expect(announced?.thread_id).toBe(thread.thread_id);
    const run = await server.client.runs.get(thread.thread_id, announced!.run_id);
    expect(run.status).toBe("success");
  });

  test("list: newest first, limit/offset, status filter and select", async () => {
    const thread = await server.client.threads.create();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const run = await server.client.runs.create(thread.thread_id, "two_step", { input: {} });
      ids.push(run.run_id);
      await server.client.runs.join(thread.thread_id, run.run_id);
    }
    expect((await server.client.runs.list(thread.thread_id)).map((run) => run.run_id)).toEqual([...ids].reverse());
    expect((await server.client.runs.list(thread.thread_id, { limit: 1, offset: 1 })).map((run) => run.run_id)).toEqual([ids[1]]);
    expect(await server.client.runs.list(thread.thread_id, { status: "error" })).toEqual([]);
    expect((await server.client.runs.list(thread.thread_id, { status: "success" })).length).toBe(3);
    const selected = await server.client.runs.list(thread.thread_id, { select: ["run_id", "status"], limit: 1 });
    expect(selected).toEqual([{ run_id: ids[2], status: "success" }]);
  });

  test("delete removes an ended run; an unknown run or thread is 404", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "two_step", { input: {} });
    await server.client.runs.join(thread.thread_id, run.run_id);
    await server.client.runs.delete(thread.thread_id, run.run_id);
    await expect(server.client.runs.get(thread.thread_id, run.run_id)).rejects.toMatchObject({ status: 404 });
    expect(await server.client.runs.list(thread.thread_id)).toEqual([]);
    const missing = await fetch(`${server.url}/threads/${thread.thread_id}/runs/${run.run_id}`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: expect.stringContaining(run.run_id) });
    const noThread = await fetch(`${server.url}/threads/${crypto.randomUUID()}/runs`);
    expect(noThread.status).toBe(404);
  });

  test("raw HTTP: Content-Location on create and wait, Location on stream, as the Python server", async () => {
    const thread = await server.client.threads.create();
    const created = await postJson(`${server.url}/threads/${thread.thread_id}/runs`, { assistant_id: "two_step", input: {} });
    const run = (await created.json()) as { run_id: string };
    expect(created.headers.get("content-location")).toBe(`/threads/${thread.thread_id}/runs/${run.run_id}`);
    await server.client.runs.join(thread.thread_id, run.run_id);

    const waited = await postJson(`${server.url}/threads/${thread.thread_id}/runs/wait`, { assistant_id: "two_step", input: {} });
    expect(waited.headers.get("content-type")).toMatch(/^application\/json/);
    const waitRun = waited.headers.get("content-location")!;
    expect(waitRun).toMatch(new RegExp(`^/threads/${thread.thread_id}/runs/[0-9a-f-]{36}$`));
    expect(waited.headers.get("location")).toBe(`${waitRun}/join`);
    expect(JSON.parse(await waited.text())).toEqual({ count: 22, steps: ["first", "second", "first", "second"] });

    const streamed = await postJson(`${server.url}/threads/${thread.thread_id}/runs/stream`, { assistant_id: "two_step", input: {} });
    const streamRun = streamed.headers.get("content-location")!;
    expect(streamRun).toMatch(new RegExp(`^/threads/${thread.thread_id}/runs/[0-9a-f-]{36}$`));
    expect(streamed.headers.get("location")).toBe(`${streamRun}/stream`);
    await streamed.text();
  });
});

describe("stateless runs", () => {
  test("wait: output of a temporary thread that is deleted afterwards (on_completion delete)", async () => {
    let announced: { run_id: string; thread_id?: string } | undefined;
    const values = await server.client.runs.wait(null, "two_step", { input: {}, onRunCreated: (meta) => (announced = meta) });
    expect(values).toEqual({ count: 11, steps: ["first", "second"] });
    // As the Python server, a stateless wait names the run under its temporary thread.
    expect(announced).toEqual({ run_id: expect.stringMatching(UUID), thread_id: expect.stringMatching(UUID) });
    await expect(server.client.threads.get(announced!.thread_id!)).rejects.toMatchObject({ status: 404 });
  });

  test("create (background) with on_completion keep: the thread and run stay; joinStream(null, id) streams it", async () => {
    const run = await server.client.runs.create(null, "two_step", { input: {}, onCompletion: onCompletion("keep"), streamMode: ["updates"] });
    const response = await postJson(`${server.url}/runs`, { assistant_id: "two_step", input: {} });
    expect(response.headers.get("content-location")).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
    await response.json();

    const parts = await collect(server.client.runs.joinStream(null, run.run_id));
    expect(names(parts)).toEqual(["metadata", "updates", "updates"]);
    const kept = await eventually(
      () => server.client.runs.get(run.thread_id, run.run_id),
      (r) => r.status === "success",
    );
    expect(kwargsOf(kept)).toMatchObject({ temporary: true });
    expect((await server.client.threads.get(run.thread_id)).values).toEqual({ count: 11, steps: ["first", "second"] });
  });

  test("stream with on_completion delete: the temporary thread is gone once the stream ends", async () => {
    const threadCount = async () => (await server.client.threads.search({ limit: 1000 })).length;
    const before = await threadCount();
    let announced: { run_id: string; thread_id?: string } | undefined;
    const parts = await collect(server.client.runs.stream(null, "two_step", { input: {}, onRunCreated: (meta) => (announced = meta) }));
    expect(names(parts)[0]).toBe("metadata");
    expect(parts.at(-1)).toMatchObject({ event: "values", data: { count: 11, steps: ["first", "second"] } });
    // The stream names a stateless run as /runs/<id>, without its thread.
    expect(announced).toEqual({ run_id: (parts[0].data as { run_id: string }).run_id });
    expect(await eventually(threadCount, (count) => count === before)).toBe(before);
  });

  test("batch creates stateless background runs and answers them in order", async () => {
    const runs = await server.client.runs.createBatch([
      { assistantId: "two_step", input: {}, metadata: { n: 1 } },
      { assistantId: "echo", input, metadata: { n: 2 } },
    ]);
    expect(runs.map((run) => [run.metadata, run.status])).toEqual([
      [{ n: 1 }, "pending"],
      [{ n: 2 }, "pending"],
    ]);
    expect(new Set(runs.map((run) => run.thread_id)).size).toBe(2);
    const raw = await postJson(`${server.url}/runs/batch`, [{ assistant_id: "two_step", input: {}, on_completion: "keep" }]);
    expect(raw.status).toBe(200);
    const [kept] = (await raw.json()) as { run_id: string; thread_id: string }[];
    await eventually(
      () => server.client.runs.get(kept.thread_id, kept.run_id),
      (run) => run.status === "success",
    );
    const empty = await postJson(`${server.url}/runs/batch`, []);
    expect(empty.status).toBe(422);
  });
});
