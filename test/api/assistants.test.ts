import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import type { Assistant } from "@langchain/langgraph-sdk";
import { api, SYSTEM_NAMESPACE, useServer, uuid5 } from "./support.js";

const server = useServer();
const client = () => server().client;

describe("system assistants", () => {
  test("each graph has one, reachable by graph id and by uuid5(graph_id, namespace)", async () => {
    // Cross-checked with Python: uuid.uuid5(uuid.UUID("6ba7b821-..."), "echo").
    expect(uuid5("echo", SYSTEM_NAMESPACE)).toBe("046b5dc7-2108-582c-9c6c-31d556d138f0");
    for (const graphId of ["echo", "two_step", "interrupt"]) {
      const expectedId = uuid5(graphId, SYSTEM_NAMESPACE);
      const byGraph = await client().assistants.get(graphId);
      const byId = await client().assistants.get(expectedId);
      expect(byGraph.assistant_id).toBe(expectedId);
      expect(byId).toEqual(byGraph);
      expect(byGraph).toMatchObject({ graph_id: graphId, name: graphId, version: 1, metadata: { created_by: "system" } });
    }
    const systemCount = await client().assistants.count({ metadata: { created_by: "system" } });
    expect(systemCount).toBe(12);
  });

  test("runs accept both forms of the id", async () => {
    const thread = await client().threads.create();
    const a = await client().runs.wait(thread.thread_id, "two_step", { input: {} });
    const b = await client().runs.wait(thread.thread_id, uuid5("two_step", SYSTEM_NAMESPACE), { input: {} });
    expect(a).toEqual({ count: 11, steps: ["first", "second"] });
    expect(b).toEqual({ count: 22, steps: ["first", "second", "first", "second"] });
  });
});

describe("create / get / update / delete", () => {
  test("create with every field, then get", async () => {
    const assistantId = randomUUID();
    const created = await client().assistants.create({
      graphId: "echo",
      assistantId,
      name: "Echo bot",
      description: "answers with what it got",
      config: { configurable: { model: "x" }, tags: ["t"] },
      context: { user: "u1" },
      metadata: { team: "blue", level: 3 },
    });
    expect(created).toMatchObject({
      assistant_id: assistantId,
      graph_id: "echo",
      name: "Echo bot",
      description: "answers with what it got",
      config: { configurable: { model: "x" }, tags: ["t"] },
      context: { user: "u1" },
      metadata: { team: "blue", level: 3 },
      version: 1,
    });
    expect(Date.parse(created.created_at)).not.toBeNaN();
    expect(await client().assistants.get(assistantId)).toEqual(created);
  });

  test("if_exists: raise is 409, do_nothing returns the existing assistant unchanged", async () => {
    const assistantId = randomUUID();
    const first = await client().assistants.create({ graphId: "echo", assistantId, name: "first" });
    const conflict = await api<{ detail: string }>(server(), "POST", "/assistants", { graph_id: "echo", assistant_id: assistantId });
    expect(conflict.status).toBe(409);
    expect(conflict.body.detail).toContain(assistantId);
    const again = await client().assistants.create({ graphId: "two_step", assistantId, name: "second", ifExists: "do_nothing" });
    expect(again).toEqual(first);
  });

  test("an unknown graph is 422 and writes nothing", async () => {
    const assistantId = randomUUID();
    const response = await api<{ detail: string }>(server(), "POST", "/assistants", { graph_id: "missing", assistant_id: assistantId });
    expect(response.status).toBe(422);
    expect(response.body.detail).toContain("missing");
    expect((await api(server(), "GET", `/assistants/${assistantId}`)).status).toBe(404);
  });

  test("update makes a new version, merges metadata, replaces config; versions and setLatest", async () => {
    const created = await client().assistants.create({ graphId: "echo", name: "v1", config: { configurable: { a: 1 } }, metadata: { keep: true } });
    const updated = await client().assistants.update(created.assistant_id, { name: "v2", config: { configurable: { b: 2 } }, metadata: { added: 1 } });
    expect(updated).toMatchObject({ version: 2, name: "v2", config: { configurable: { b: 2 } }, metadata: { keep: true, added: 1 } });
    expect(updated.created_at).toBe(created.created_at);
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    const third = await client().assistants.update(created.assistant_id, { graphId: "two_step" });
    expect(third).toMatchObject({ version: 3, graph_id: "two_step", name: "v2" });

    const versions = await client().assistants.getVersions(created.assistant_id);
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions[2]).toMatchObject({ name: "v1", graph_id: "echo", config: { configurable: { a: 1 } } });
    expect((await client().assistants.getVersions(created.assistant_id, { limit: 1, offset: 1 })).map((v) => v.version)).toEqual([2]);
    expect((await client().assistants.getVersions(created.assistant_id, { metadata: { added: 1 } })).map((v) => v.version)).toEqual([3, 2]);

    const rolledBack = await client().assistants.setLatest(created.assistant_id, 1);
    expect(rolledBack).toMatchObject({ version: 1, name: "v1", graph_id: "echo", config: { configurable: { a: 1 } }, metadata: { keep: true } });
    expect(await client().assistants.get(created.assistant_id)).toMatchObject({ version: 1, name: "v1" });
    // Setting the latest version adds none; the next update numbers after the highest.
    expect((await client().assistants.getVersions(created.assistant_id)).map((v) => v.version)).toEqual([3, 2, 1]);
    expect((await client().assistants.update(created.assistant_id, { name: "v4" })).version).toBe(4);

    const missingVersion = await api<{ detail: string }>(server(), "POST", `/assistants/${created.assistant_id}/latest`, { version: 99 });
    expect(missingVersion.status).toBe(404);
    expect(missingVersion.body.detail).toContain("99");
  });

  test("update to an unknown graph is 422 and leaves the assistant as it was", async () => {
    const created = await client().assistants.create({ graphId: "echo" });
    const response = await api(server(), "PATCH", `/assistants/${created.assistant_id}`, { graph_id: "nope", name: "changed" });
    expect(response.status).toBe(422);
    expect(await client().assistants.get(created.assistant_id)).toEqual(created);
  });

  test("delete removes the assistant and its versions; a second delete is 404", async () => {
    const created = await client().assistants.create({ graphId: "echo" });
    await client().assistants.update(created.assistant_id, { name: "x" });
    await client().assistants.delete(created.assistant_id);
    expect((await api(server(), "GET", `/assistants/${created.assistant_id}`)).status).toBe(404);
    expect((await api(server(), "POST", `/assistants/${created.assistant_id}/versions`, {})).status).toBe(404);
    const again = await api<{ detail: string }>(server(), "DELETE", `/assistants/${created.assistant_id}`);
    expect(again.status).toBe(404);
    expect(again.body.detail).toContain(created.assistant_id);
  });

  test("delete with delete_threads removes the threads the assistant ran on", async () => {
    const assistant = await client().assistants.create({ graphId: "two_step" });
    const ran = await client().threads.create();
    await client().runs.wait(ran.thread_id, assistant.assistant_id, { input: {} });
    const other = await client().threads.create();
    await client().assistants.delete(assistant.assistant_id, { deleteThreads: true });
    expect((await api(server(), "GET", `/threads/${ran.thread_id}`)).status).toBe(404);
    expect((await api(server(), "GET", `/threads/${other.thread_id}`)).status).toBe(200);
  });
});

describe("search and count", () => {
  test("filters by graph_id, name (substring), metadata; sorts; selects; pages", async () => {
    const tag = randomUUID();
    const made: Assistant[] = [];
    for (const [graphId, name, rank] of [
      ["echo", "Alpha helper", 1],
      ["two_step", "beta helper", 2],
      ["echo", "Gamma", 3],
      ["echo", "delta helper", 4],
    ] as const) {
      made.push(await client().assistants.create({ graphId, name, metadata: { tag, rank } }));
    }
    const byTag = await client().assistants.search({ metadata: { tag }, limit: 100 });
    expect(byTag.map((a) => a.name)).toEqual(["delta helper", "Gamma", "beta helper", "Alpha helper"]); // created_at desc
    expect(await client().assistants.count({ metadata: { tag } })).toBe(4);

    const echo = await client().assistants.search({ metadata: { tag }, graphId: "echo", limit: 100 });
    expect(echo.map((a) => a.name).sort()).toEqual(["Alpha helper", "Gamma", "delta helper"]);
    expect(await client().assistants.count({ metadata: { tag }, graphId: "echo" })).toBe(3);

    const helpers = await client().assistants.search({ metadata: { tag }, name: "HELPER", limit: 100 });
    expect(helpers.map((a) => a.name).sort()).toEqual(["Alpha helper", "beta helper", "delta helper"]);
    expect(await client().assistants.count({ metadata: { tag }, name: "helper" })).toBe(3);
    expect(await client().assistants.count({ metadata: { tag, rank: 3 } })).toBe(1);

    const byName = await client().assistants.search({ metadata: { tag }, sortBy: "name", sortOrder: "asc", limit: 100 });
    expect(byName.map((a) => a.name)).toEqual(["Alpha helper", "Gamma", "beta helper", "delta helper"]);
    const page = await client().assistants.search({ metadata: { tag }, sortBy: "name", sortOrder: "asc", limit: 2, offset: 1 });
    expect(page.map((a) => a.name)).toEqual(["Gamma", "beta helper"]);

    const selected = await client().assistants.search({ metadata: { tag }, select: ["assistant_id", "name"], sortBy: "name", sortOrder: "desc", limit: 1 });
    expect(selected).toEqual([{ assistant_id: made[3].assistant_id, name: "delta helper" }]);
  });

  test("search with includePagination reports the next offset", async () => {
    const tag = randomUUID();
    for (let i = 0; i < 3; i += 1) await client().assistants.create({ graphId: "echo", metadata: { tag } });
    const first = await client().assistants.search({ metadata: { tag }, limit: 2, includePagination: true });
    expect(first.assistants).toHaveLength(2);
    expect(first.next).toBe("2");
    const last = await client().assistants.search({ metadata: { tag }, limit: 2, offset: 2, includePagination: true });
    expect(last.assistants).toHaveLength(1);
    expect(last.next).toBeNull();
  });

  test("nested metadata filters match by containment", async () => {
    const tag = randomUUID();
    await client().assistants.create({ graphId: "echo", metadata: { tag, owner: { team: "a", id: 1 } } });
    await client().assistants.create({ graphId: "echo", metadata: { tag, owner: { team: "b", id: 2 } } });
    expect(await client().assistants.count({ metadata: { tag, owner: { team: "a" } } })).toBe(1);
    expect(await client().assistants.count({ metadata: { tag, owner: { team: "c" } } })).toBe(0);
  });
});

describe("graph, schemas, subgraphs", () => {
  test("getGraph draws nodes and edges; xray expands subgraphs", async () => {
    const flat = await client().assistants.getGraph("subgraph");
    const ids = (flat.nodes as { id: string }[]).map((node) => node.id);
    expect(ids).toEqual(expect.arrayContaining(["__start__", "before", "child", "__end__"]));
    expect(flat.edges).toEqual(expect.arrayContaining([expect.objectContaining({ source: "before", target: "child" })]));
    const xray = await client().assistants.getGraph("subgraph", { xray: true });
    const xrayIds = (xray.nodes as { id: string }[]).map((node) => node.id);
    expect(xrayIds).toEqual(expect.arrayContaining(["child:inner_a", "child:inner_b"]));
    const depth1 = await client().assistants.getGraph("subgraph", { xray: 1 });
    expect((depth1.nodes as { id: string }[]).map((node) => node.id)).toEqual(expect.arrayContaining(["child:inner_a"]));
  });

  test("getSchemas names the graph and its state channels", async () => {
    const schemas = await client().assistants.getSchemas("two_step");
    expect(schemas.graph_id).toBe("two_step");
    expect(Object.keys((schemas.state_schema as { properties: object }).properties).sort()).toEqual(["count", "steps"]);
    expect(schemas.input_schema).toBeDefined();
    expect(schemas.output_schema).toBeDefined();
  });

  test("getSubgraphs lists subgraphs by namespace, with recurse and a namespace filter", async () => {
    const all = await client().assistants.getSubgraphs("subgraph");
    expect(Object.keys(all)).toEqual(["child"]);
    expect(Object.keys((all.child.state_schema as { properties: object }).properties)).toEqual(["trail"]);
    expect(Object.keys(await client().assistants.getSubgraphs("subgraph", { recurse: true }))).toEqual(["child"]);
    expect(Object.keys(await client().assistants.getSubgraphs("subgraph", { namespace: "child" }))).toEqual(["child"]);
    expect(await client().assistants.getSubgraphs("subgraph", { namespace: "nope" })).toEqual({});
    expect(await client().assistants.getSubgraphs("echo")).toEqual({});
  });

  test("graph info of an unknown assistant is 404", async () => {
    for (const path of ["graph", "schemas", "subgraphs", "subgraphs/child"]) {
      const response = await api<{ detail: string }>(server(), "GET", `/assistants/${randomUUID()}/${path}`);
      expect(response.status, path).toBe(404);
      expect(typeof response.body.detail).toBe("string");
    }
  });
});
