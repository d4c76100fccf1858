import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { api, useServer } from "./support.js";

const server = useServer();
const client = () => server().client;

type Detail = { detail: string };

describe("unknown ids are 404 {detail} naming the id", () => {
  test("assistants", async () => {
    const id = randomUUID();
    const calls: [string, string, unknown?][] = [
      ["GET", `/assistants/${id}`],
      ["PATCH", `/assistants/${id}`, { name: "x" }],
      ["DELETE", `/assistants/${id}`],
      ["GET", `/assistants/${id}/graph`],
      ["GET", `/assistants/${id}/schemas`],
      ["GET", `/assistants/${id}/subgraphs`],
      ["POST", `/assistants/${id}/versions`, {}],
      ["POST", `/assistants/${id}/latest`, { version: 1 }],
      ["GET", "/assistants/no_such_graph"],
    ];
    for (const [method, path, body] of calls) {
      const response = await api<Detail>(server(), method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.detail, `${method} ${path}`).toMatch(new RegExp(`${id}|no_such_graph`));
    }
  });

  test("threads", async () => {
    const id = randomUUID();
    const calls: [string, string, unknown?][] = [
      ["GET", `/threads/${id}`],
      ["PATCH", `/threads/${id}`, { metadata: {} }],
      ["DELETE", `/threads/${id}`],
      ["POST", `/threads/${id}/copy`],
      ["GET", `/threads/${id}/state`],
      ["GET", `/threads/${id}/state/${randomUUID()}`],
      ["POST", `/threads/${id}/state/checkpoint`, { checkpoint: { checkpoint_id: "x" } }],
      ["POST", `/threads/${id}/state`, { values: {} }],
      ["PATCH", `/threads/${id}/state`, { metadata: {} }],
      ["GET", `/threads/${id}/history`],
      ["POST", `/threads/${id}/history`, {}],
      ["GET", `/threads/${id}/stream`],
    ];
    for (const [method, path, body] of calls) {
      const response = await api<Detail>(server(), method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.detail, `${method} ${path}`).toContain(id);
    }
  });
});

describe("invalid input is 422 naming the field and the rule", () => {
  test("bodies", async () => {
    const thread = await client().threads.create();
    const assistant = await client().assistants.create({ graphId: "echo" });
    const cases: [string, string, unknown, string][] = [
      ["POST", "/assistants/search", { limit: 5000 }, "body.limit must be <= 1000"],
      ["POST", "/assistants/search", { limit: 0 }, "body.limit must be >= 1"],
      ["POST", "/assistants/search", { offset: -1 }, "body.offset must be >= 0"],
      ["POST", "/assistants/search", { sort_by: "bogus" }, 'body.sort_by must be one of "assistant_id", "created_at", "updated_at", "name", "graph_id"'],
      ["POST", "/assistants/search", { sort_order: "up" }, 'body.sort_order must be one of "asc", "desc"'],
      ["POST", "/assistants/search", { select: ["assistant_id", "secret"] }, "body.select.1 must be one of"],
      ["POST", "/assistants/search", { colour: "red" }, "body.colour is not a known field"],
      ["POST", "/assistants/search", { metadata: "x" }, "body.metadata must be object"],
      ["POST", "/assistants", {}, "body.graph_id is required"],
      ["POST", "/assistants", { graph_id: "echo", if_exists: "replace" }, 'body.if_exists must be one of "raise", "do_nothing"'],
      ["POST", "/assistants", { graph_id: "echo", assistant_id: "abc" }, 'body.assistant_id must match format "uuid"'],
      ["POST", "/assistants", { graph_id: "echo", config: { recursion_limit: "many" } }, "body.config.recursion_limit must be integer"],
      ["POST", `/assistants/${assistant.assistant_id}/latest`, { version: 0 }, "body.version must be >= 1"],
      ["POST", `/assistants/${assistant.assistant_id}/latest`, {}, "body.version is required"],
      ["POST", "/threads", { thread_id: "abc" }, 'body.thread_id must match format "uuid"'],
      ["POST", "/threads", { ttl: -1 }, "body.ttl must be > 0"],
      ["POST", "/threads", { ttl: 1e300 }, "body.ttl must be <= 525600000"],
      ["POST", "/threads/search", { status: "sleeping" }, 'body.status must be one of "idle", "busy", "interrupted", "error"'],
      ["POST", "/threads/search", { offset: 1e20 }, "body.offset must be <= 9007199254740991"],
      ["POST", "/threads/search", { ids: ["not-a-uuid"] }, 'body.ids.0 must match format "uuid"'],
      ["POST", "/threads/count", { metadata: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i])) }, "body.metadata must NOT have more than 100 properties"],
      ["POST", "/threads/prune", { thread_ids: [] }, "body.thread_ids must NOT have fewer than 1 items"],
      ["POST", "/threads/prune", { thread_ids: [thread.thread_id], strategy: "shred" }, 'body.strategy must be one of "delete", "keep_latest"'],
      ["POST", `/threads/${thread.thread_id}/history`, { limit: 1001 }, "body.limit must be <= 1000"],
      ["POST", `/threads/${thread.thread_id}/state/checkpoint`, {}, "body.checkpoint is required"],
      ["PATCH", `/threads/${thread.thread_id}/state`, {}, "body.metadata is required"],
      ["PATCH", `/threads/${thread.thread_id}`, { metadata: [] }, "body.metadata must be object"],
      ["PUT", "/store/items", { namespace: ["a"], key: "k", value: {}, ttl: 0 }, "body.ttl must be > 0"],
      ["PUT", "/store/items", { namespace: ["a"], key: "k" }, "body.value is required"],
    ];
    for (const [method, path, body, detail] of cases) {
      const response = await api<Detail>(server(), method, path, body);
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(422);
      expect(response.body.detail, `${method} ${path} ${JSON.stringify(body)}`).toContain(detail);
    }
  });

  test("path and query parameters", async () => {
    const cases: [string, string][] = [
      ["/threads/not-a-uuid", 'params.thread_id must match format "uuid"'],
      ["/threads/not-a-uuid/state", 'params.thread_id must match format "uuid"'],
      [`/threads/${randomUUID()}/history?limit=abc`, "querystring.limit must be integer"],
      ["/assistants/echo/graph?xray=-1", "querystring.xray"],
      ["/assistants/echo/subgraphs?recurse=perhaps", "querystring.recurse must be boolean"],
      ["/store/items?namespace=a", "querystring.key is required"],
      ["/store/items?namespace=a..b&key=k", "namespace"],
      ["/ok?check_db=2", "querystring.check_db must be one of 0, 1"],
    ];
    for (const [path, detail] of cases) {
      const response = await api<Detail>(server(), "GET", path);
      expect(response.status, path).toBe(422);
      expect(response.body.detail, path).toContain(detail);
    }
  });

  test("malformed JSON and non-object bodies", async () => {
    for (const body of ["{bad", "[]", "null", '"text"', "12"]) {
      const response = await api<Detail>(server(), "POST", "/threads/search", body);
      expect(response.status, body).toBe(422);
      expect(response.body.detail, body).toMatch(/^body /);
    }
  });
});

describe("never a 500 for bad input", () => {
  test("odd but well-formed values are answered without a server error", async () => {
    const { thread_id } = await client().threads.create();
    await client().runs.wait(thread_id, "two_step", { input: {} });
    let nested: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 500; i += 1) nested = { a: nested };
    const calls: [string, string, unknown?][] = [
      ["POST", `/threads/${thread_id}/state`, { values: "not an object", as_node: "first" }],
      ["POST", `/threads/${thread_id}/state`, { values: { count: 1 }, as_node: "no_such_node" }],
      ["POST", `/threads/${thread_id}/state`, { values: { count: 1 }, as_node: "first", checkpoint: { checkpoint_ns: "no|such|ns" } }],
      ["POST", `/threads/${thread_id}/state/checkpoint`, { checkpoint: { checkpoint_ns: "nope", checkpoint_id: "x" } }],
      ["POST", `/threads/${thread_id}/history`, { before: "garbage", checkpoint: { checkpoint_ns: "nope" } }],
      ["GET", `/threads/${thread_id}/state/%00`],
      ["POST", "/threads/search", { metadata: { deep: nested, "": 1, "a.b": 2, 'a"b': 3, "$.x": 4 } }],
      ["POST", "/threads/search", { values: { deep: nested } }],
      ["POST", "/threads/count", { metadata: { list: [1, { x: null }] } }],
      ["POST", "/assistants/search", { metadata: { deep: nested } }],
      ["POST", "/threads", { metadata: { deep: nested } }],
      ["POST", "/store/items/search", { filter: { 'a"b': 1, "": 2, n: { $gt: 1, $lte: "z" } } }],
      ["POST", "/store/namespaces", { prefix: ["*"], suffix: ["*", "*"], max_depth: 1000 }],
      ["GET", "/assistants/%2F..%2F"],
      ["GET", "/assistants/echo/subgraphs/no%20such%20namespace"],
      ["PATCH", `/threads/${thread_id}`, { ttl: 1e-300 }],
    ];
    for (const [method, path, body] of calls) {
      const response = await api(server(), method, path, body);
      expect(response.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 120)}`).toBeLessThan(500);
      if (response.status >= 400) expect(typeof (response.body as Detail).detail).toBe("string");
    }
  });
});

describe("bodies are JSON whatever their content type, as on the official servers", () => {
  const post = (body: string, contentType?: string) =>
    fetch(`${server().url}/threads`, { method: "POST", body, headers: contentType ? { "content-type": contentType } : {} });

  test("text/plain (a browser's fetch of a string), none at all, and a form type parse as JSON", async () => {
    for (const contentType of ["text/plain;charset=UTF-8", undefined, "application/x-www-form-urlencoded"]) {
      const response = await post(JSON.stringify({ metadata: { sent_as: String(contentType) } }), contentType);
      expect(response.status, String(contentType)).toBe(200);
      expect(((await response.json()) as { metadata: { sent_as: string } }).metadata.sent_as).toBe(String(contentType));
    }
  });

  test("an empty or broken body is a 422 that does not name a content type it was not sent as", async () => {
    for (const contentType of ["text/plain", "application/json"]) {
      const empty = await post("", contentType);
      expect([empty.status, await empty.json()]).toEqual([422, { detail: "body is empty: send a JSON object" }]);
      const broken = await post("{nope", contentType);
      expect([broken.status, await broken.json()]).toEqual([422, { detail: "body is not valid JSON" }]);
    }
  });
});

describe("never a half-written row", () => {
  test("a rejected create, update or prune leaves everything as it was", async () => {
    const assistant = await client().assistants.create({ graphId: "echo", name: "before" });
    expect((await api(server(), "PATCH", `/assistants/${assistant.assistant_id}`, { name: "after", graph_id: "nope" })).status).toBe(422);
    expect(await client().assistants.get(assistant.assistant_id)).toEqual(assistant);
    expect((await client().assistants.getVersions(assistant.assistant_id)).length).toBe(1);

    const threadId = randomUUID();
    const badGraph = await api(server(), "POST", "/threads", {
      thread_id: threadId,
      metadata: { graph_id: "nope" },
      supersteps: [{ updates: [{ values: {}, as_node: "x" }] }],
    });
    expect(badGraph.status).toBe(422);
    const badCommand = await api(server(), "POST", "/threads", {
      thread_id: threadId,
      metadata: { graph_id: "two_step" },
      supersteps: [{ updates: [{ command: { resume: 1 }, as_node: "first" }] }],
    });
    expect(badCommand.status).toBe(422);
    expect((await api(server(), "GET", `/threads/${threadId}`)).status).toBe(404);
    expect(await client().threads.count({ metadata: { graph_id: "nope" } })).toBe(0);

    const kept = await client().threads.create();
    expect((await api(server(), "POST", "/threads/prune", { thread_ids: [kept.thread_id, "bad"] })).status).toBe(422);
    expect((await api(server(), "GET", `/threads/${kept.thread_id}`)).status).toBe(200);

    const running = await client().threads.create({ graphId: "two_step" });
    await client().runs.wait(running.thread_id, "two_step", { input: {} });
    const before = await client().threads.getState(running.thread_id);
    expect((await api(server(), "POST", `/threads/${running.thread_id}/state`, { values: { count: 1 }, as_node: "nope" })).status).toBe(422);
    const after = await client().threads.getState(running.thread_id);
    expect(after.checkpoint.checkpoint_id).toBe(before.checkpoint.checkpoint_id);
    expect((await client().threads.get(running.thread_id)).values).toEqual(before.values);
  });
});
