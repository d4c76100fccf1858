import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { api, useServer } from "./support.js";

const server = useServer();
const client = () => server().client;

describe("create / get / update / delete", () => {
  test("create with thread_id, metadata and graphId; get returns it", async () => {
    const threadId = randomUUID();
    const created = await client().threads.create({ threadId, metadata: { user: "u1", n: 1 }, graphId: "echo" });
    expect(created).toMatchObject({
      thread_id: threadId,
      status: "idle",
      metadata: { user: "u1", n: 1, graph_id: "echo" },
      values: null,
      interrupts: {},
    });
    expect(await client().threads.get(threadId)).toEqual(created);
  });

  test("if_exists: raise is 409, do_nothing returns the existing thread", async () => {
    const threadId = randomUUID();
    const first = await client().threads.create({ threadId, metadata: { v: 1 } });
    const conflict = await api<{ detail: string }>(server(), "POST", "/threads", { thread_id: threadId });
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toContain(threadId);
    expect(await client().threads.create({ threadId, metadata: { v: 2 }, ifExists: "do_nothing" })).toEqual(first);
  });

  test("a bare POST /threads creates a thread", async () => {
    const response = await api<{ thread_id: string; status: string }>(server(), "POST", "/threads");
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("idle");
    expect((await api(server(), "GET", `/threads/${response.body.thread_id}`)).status).toBe(200);
  });

  test("ttl is accepted as minutes or {strategy, ttl}", async () => {
    const a = await client().threads.create({ ttl: 30 });
    const b = await client().threads.create({ ttl: { strategy: "delete", ttl: 5 } });
    expect((await client().threads.get(a.thread_id)).thread_id).toBe(a.thread_id);
    expect((await client().threads.get(b.thread_id)).thread_id).toBe(b.thread_id);
    const bad = await api<{ detail: string }>(server(), "POST", "/threads", { ttl: { strategy: "archive", ttl: 5 } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain("body.ttl");
  });

  test("update merges metadata and bumps updated_at; returnMinimal answers no body", async () => {
    const thread = await client().threads.create({ metadata: { a: 1, b: 2 } });
    const updated = await client().threads.update(thread.thread_id, { metadata: { b: 3, c: 4 } });
    expect(updated.metadata).toEqual({ a: 1, b: 3, c: 4 });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(thread.updated_at));
    const minimal = await api(server(), "PATCH", `/threads/${thread.thread_id}`, { metadata: { d: 5 } }, { Prefer: "return=minimal" });
    expect(minimal.status).toBe(204);
    expect((await client().threads.get(thread.thread_id)).metadata).toEqual({ a: 1, b: 3, c: 4, d: 5 });
    expect((await api(server(), "PATCH", `/threads/${randomUUID()}`, { metadata: {} })).status).toBe(404);
  });

  test("delete removes the thread, its runs and its state; a second delete is 404", async () => {
    const thread = await client().threads.create();
    const run = await client().runs.create(thread.thread_id, "two_step", { input: {} });
    await client().runs.join(thread.thread_id, run.run_id);
    await client().threads.delete(thread.thread_id);
    expect((await api(server(), "GET", `/threads/${thread.thread_id}`)).status).toBe(404);
    expect((await api(server(), "GET", `/threads/${thread.thread_id}/runs/${run.run_id}`)).status).toBe(404);
    // A new thread under the same id starts empty: the checkpoints went with the thread.
    await client().threads.create({ threadId: thread.thread_id, graphId: "two_step" });
    expect((await client().threads.getState(thread.thread_id)).values).toEqual({});
    const again = await api(server(), "DELETE", `/threads/${randomUUID()}`);
    expect(again.status).toBe(404);
  });

  test("deleting a thread with a running run cancels it first", async () => {
    const thread = await client().threads.create();
    const run = await client().runs.create(thread.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: 200 } } });
    await client().threads.delete(thread.thread_id);
    expect((await api(server(), "GET", `/threads/${thread.thread_id}`)).status).toBe(404);
    expect((await api(server(), "GET", `/threads/${thread.thread_id}/runs/${run.run_id}`)).status).toBe(404);
  });
});

describe("search and count", () => {
  test("filters by metadata, values, status and ids; sorts; selects; pages", async () => {
    const tag = randomUUID();
    const made: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const thread = await client().threads.create({ metadata: { tag, parity: i % 2 === 0 ? "even" : "odd", i } });
      made.push(thread.thread_id);
    }
    // Two of them get values by running a graph.
    await client().runs.wait(made[1], "two_step", { input: {} });
    await client().runs.wait(made[3], "echo", { input: { messages: [{ role: "user", content: "hi" }] } });

    const all = await client().threads.search({ metadata: { tag }, limit: 100 });
    expect(all.map((t) => t.thread_id)).toEqual([...made].reverse()); // created_at desc
    expect(await client().threads.count({ metadata: { tag } })).toBe(4);

    const even = await client().threads.search({ metadata: { tag, parity: "even" } });
    expect(even.map((t) => t.thread_id).sort()).toEqual([made[0], made[2]].sort());
    expect(await client().threads.count({ metadata: { tag, parity: "odd" } })).toBe(2);
    expect(await client().threads.count({ metadata: { tag, i: 3 } })).toBe(1);
    expect(await client().threads.count({ metadata: { tag, i: "3" } })).toBe(0);

    const byValues = await client().threads.search({ metadata: { tag }, values: { count: 11 } });
    expect(byValues.map((t) => t.thread_id)).toEqual([made[1]]);
    expect(await client().threads.count({ metadata: { tag }, values: { count: 11 } })).toBe(1);

    const byGraph = await client().threads.search({ metadata: { tag, graph_id: "echo" } });
    expect(byGraph.map((t) => t.thread_id)).toEqual([made[3]]);

    const ids = await client().threads.search({ ids: [made[0], made[2], randomUUID()], limit: 10 });
    expect(ids.map((t) => t.thread_id).sort()).toEqual([made[0], made[2]].sort());

    expect(await client().threads.count({ metadata: { tag }, status: "idle" })).toBe(4);
    expect(await client().threads.count({ metadata: { tag }, status: "busy" })).toBe(0);

    const byUpdated = await client().threads.search({ metadata: { tag }, sortBy: "updated_at", sortOrder: "desc", limit: 2 });
    expect(byUpdated.map((t) => t.thread_id)).toEqual([made[3], made[1]]);
    const byStateUpdated = await client().threads.search({ metadata: { tag }, sortBy: "state_updated_at", sortOrder: "desc", limit: 2 });
    expect(byStateUpdated.map((t) => t.thread_id)).toEqual([made[3], made[1]]);
    const ascending = await client().threads.search({ metadata: { tag }, sortBy: "created_at", sortOrder: "asc", limit: 2, offset: 1 });
    expect(ascending.map((t) => t.thread_id)).toEqual([made[1], made[2]]);
    const byId = await client().threads.search({ metadata: { tag }, sortBy: "thread_id", sortOrder: "asc", limit: 100 });
    expect(byId.map((t) => t.thread_id)).toEqual([...made].sort());

    const selected = await client().threads.search({ metadata: { tag }, select: ["thread_id", "status"], limit: 1 });
    expect(selected).toEqual([{ thread_id: made[3], status: "idle" }]);
  });

  test("nested metadata filters match by containment", async () => {
    const tag = randomUUID();
    const match = await client().threads.create({ metadata: { tag, owner: { team: "a", id: 1 }, labels: ["x", "y"] } });
    await client().threads.create({ metadata: { tag, owner: { team: "b", id: 2 }, labels: ["y"] } });
    expect((await client().threads.search({ metadata: { tag, owner: { team: "a" } } })).map((t) => t.thread_id)).toEqual([match.thread_id]);
    expect(await client().threads.count({ metadata: { tag, labels: ["x"] } })).toBe(1);
    expect(await client().threads.count({ metadata: { tag, labels: ["y"] } })).toBe(2);
    expect(await client().threads.count({ metadata: { tag, owner: null } })).toBe(0);
  });

  test("a nested filter with more conditions than SQL keeps is still exact", async () => {
    const tag = randomUUID();
    const wide = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, i]));
    const match = await client().threads.create({ metadata: { tag, wide } });
    await client().threads.create({ metadata: { tag, wide: { ...wide, k149: -1 } } });
    expect((await client().threads.search({ metadata: { tag, wide } })).map((t) => t.thread_id)).toEqual([match.thread_id]);
    expect(await client().threads.count({ metadata: { tag, wide } })).toBe(1);
  });

  test("a bare POST to search and count works", async () => {
    const search = await api<unknown[]>(server(), "POST", "/threads/search");
    expect(search.status).toBe(200);
    expect(Array.isArray(search.body)).toBe(true);
    const count = await api<number>(server(), "POST", "/threads/count");
    expect(count.status).toBe(200);
    expect(count.body).toBeGreaterThan(0);
  });
});

describe("copy and prune", () => {
  test("copy makes a new thread with the same metadata, values and checkpoints", async () => {
    const source = await client().threads.create({ metadata: { origin: "src" } });
    await client().runs.wait(source.thread_id, "two_step", { input: {} });
    const sourceHistory = await client().threads.getHistory(source.thread_id, { limit: 100 });

    const copy = await client().threads.copy(source.thread_id);
    expect(copy.thread_id).not.toBe(source.thread_id);
    expect(copy).toMatchObject({ status: "idle", values: { count: 11, steps: ["first", "second"] } });
    expect(copy.metadata).toMatchObject({ origin: "src", graph_id: "two_step" });

    const state = await client().threads.getState(copy.thread_id);
    expect(state.values).toEqual({ count: 11, steps: ["first", "second"] });
    expect(state.checkpoint.thread_id).toBe(copy.thread_id);
    const history = await client().threads.getHistory(copy.thread_id, { limit: 100 });
    expect(history.map((s) => s.checkpoint.checkpoint_id)).toEqual(sourceHistory.map((s) => s.checkpoint.checkpoint_id));
    expect(history.every((s) => s.metadata?.thread_id === copy.thread_id)).toBe(true);

    // The copy runs on from where the source was, independently of it.
    await client().runs.wait(copy.thread_id, "two_step", { input: {} });
    expect((await client().threads.getState(copy.thread_id)).values).toEqual({ count: 22, steps: ["first", "second", "first", "second"] });
    expect((await client().threads.getState(source.thread_id)).values).toEqual({ count: 11, steps: ["first", "second"] });

    expect((await api(server(), "POST", `/threads/${randomUUID()}/copy`)).status).toBe(404);
  });

  test("prune with delete removes threads; keep_latest keeps only the latest checkpoint", async () => {
    const a = await client().threads.create();
    const b = await client().threads.create();
    for (const thread of [a, b]) await client().runs.wait(thread.thread_id, "two_step", { input: {} });
    expect((await client().threads.getHistory(b.thread_id, { limit: 100 })).length).toBeGreaterThan(1);

    const deleted = await client().threads.prune([a.thread_id, randomUUID()], { strategy: "delete" });
    expect(deleted).toEqual({ pruned_count: 1 });
    expect((await api(server(), "GET", `/threads/${a.thread_id}`)).status).toBe(404);

    const kept = await client().threads.prune([b.thread_id], { strategy: "keep_latest" });
    expect(kept).toEqual({ pruned_count: 1 });
    const history = await client().threads.getHistory(b.thread_id, { limit: 100 });
    expect(history).toHaveLength(1);
    expect(history[0].values).toEqual({ count: 11, steps: ["first", "second"] });
    // The thread still runs on from its latest state.
    await client().runs.wait(b.thread_id, "two_step", { input: {} });
    expect((await client().threads.getState(b.thread_id)).values).toMatchObject({ count: 22 });
  });
});
