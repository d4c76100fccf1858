import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { api, sleep, useServer } from "./support.js";

const server = useServer();
const store = () => server().client.store;

describe("items", () => {
  test("put, get, update, delete; a missing item is null", async () => {
    const ns = ["items", randomUUID()];
    await store().putItem(ns, "prefs", { theme: "dark", size: 3 });
    const item = await store().getItem(ns, "prefs");
    expect(item).toMatchObject({ namespace: ns, key: "prefs", value: { theme: "dark", size: 3 } });
    expect(Date.parse(item!.createdAt)).not.toBeNaN();

    await sleep(5);
    await store().putItem(ns, "prefs", { theme: "light" });
    const updated = await store().getItem(ns, "prefs");
    expect(updated!.value).toEqual({ theme: "light" });
    expect(updated!.createdAt).toBe(item!.createdAt);
    expect(Date.parse(updated!.updatedAt)).toBeGreaterThan(Date.parse(item!.updatedAt));

    await store().deleteItem(ns, "prefs");
    expect(await store().getItem(ns, "prefs")).toBeNull();
    expect(await store().getItem(ns, "never-written")).toBeNull();
    // Deleting what is not there is not an error.
    await store().deleteItem(ns, "prefs");

    const raw = await api(server(), "GET", `/store/items?namespace=${ns.join(".")}&key=missing`);
    expect(raw.status).toBe(200);
    expect(raw.body).toBeNull();
  });

  test("ttl: an item expires after its minutes; reading refreshes it unless refresh_ttl is false", async () => {
    const ns = ["ttl", randomUUID()];
    const ttl = 1 / 60; // one second
    await store().putItem(ns, "short", { v: 1 }, { ttl });
    await store().putItem(ns, "forever", { v: 2 }, { ttl: null });
    expect(await store().getItem(ns, "short", { refreshTtl: false })).not.toBeNull();
    await sleep(1300);
    expect(await store().getItem(ns, "short")).toBeNull();
    expect(await store().getItem(ns, "forever")).not.toBeNull();
    expect((await store().searchItems(ns)).items.map((item) => item.key)).toEqual(["forever"]);

    await store().putItem(ns, "kept-alive", { v: 3 }, { ttl });
    for (let i = 0; i < 4; i += 1) {
      await sleep(400);
      expect(await store().getItem(ns, "kept-alive")).not.toBeNull(); // each read restarts the ttl
    }
    const badTtl = await api<{ detail: string }>(server(), "PUT", "/store/items", { namespace: ns, key: "k", value: {}, ttl: 0 });
    expect(badTtl.status).toBe(422);
    expect(badTtl.body.detail).toContain("body.ttl");
  });
});

describe("search", () => {
  test("namespace prefix, filter, limit/offset", async () => {
    const root = randomUUID();
    await store().putItem([root, "a"], "1", { kind: "doc", n: 1 });
    await store().putItem([root, "a", "deep"], "2", { kind: "doc", n: 2 });
    await store().putItem([root, "b"], "3", { kind: "note", n: 3 });
    await store().putItem([`${root}x`, "a"], "4", { kind: "doc", n: 4 }); // shares a string prefix, not a label prefix

    const all = await store().searchItems([root], { limit: 10 });
    expect(all.items.map((item) => item.key).sort()).toEqual(["1", "2", "3"]);
    const underA = await store().searchItems([root, "a"]);
    expect(underA.items.map((item) => item.key).sort()).toEqual(["1", "2"]);
    expect(underA.items.find((item) => item.key === "2")!.namespace).toEqual([root, "a", "deep"]);

    const docs = await store().searchItems([root], { filter: { kind: "doc" } });
    expect(docs.items.map((item) => item.key).sort()).toEqual(["1", "2"]);
    const big = await store().searchItems([root], { filter: { n: { $gte: 2 } } });
    expect(big.items.map((item) => item.key).sort()).toEqual(["2", "3"]);
    const notDoc = await store().searchItems([root], { filter: { kind: { $ne: "doc" } } });
    expect(notDoc.items.map((item) => item.key)).toEqual(["3"]);

    const page1 = await store().searchItems([root], { limit: 2, offset: 0 });
    const page2 = await store().searchItems([root], { limit: 2, offset: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page2.items).toHaveLength(1);
    expect(new Set([...page1.items, ...page2.items].map((item) => item.key))).toEqual(new Set(["1", "2", "3"]));
  });
});

describe("namespaces", () => {
  test("prefix, suffix, max_depth, limit/offset; answers {namespaces}", async () => {
    const root = randomUUID();
    await store().putItem([root, "users", "u1", "prefs"], "k", { v: 1 });
    await store().putItem([root, "users", "u2", "prefs"], "k", { v: 1 });
    await store().putItem([root, "users", "u2", "notes"], "k", { v: 1 });
    await store().putItem([root, "teams", "t1"], "k", { v: 1 });

    const raw = await api<{ namespaces: string[][] }>(server(), "POST", "/store/namespaces", { prefix: [root] });
    expect(raw.status).toBe(200);
    expect(raw.body.namespaces).toEqual([
      [root, "teams", "t1"],
      [root, "users", "u1", "prefs"],
      [root, "users", "u2", "notes"],
      [root, "users", "u2", "prefs"],
    ]);
    const prefs = await store().listNamespaces({ prefix: [root], suffix: ["prefs"] });
    expect(prefs.namespaces).toEqual([
      [root, "users", "u1", "prefs"],
      [root, "users", "u2", "prefs"],
    ]);
    const wildcard = await store().listNamespaces({ prefix: [root, "users", "*", "notes"] });
    expect(wildcard.namespaces).toEqual([[root, "users", "u2", "notes"]]);
    const shallow = await store().listNamespaces({ prefix: [root], maxDepth: 2 });
    expect(shallow.namespaces).toEqual([
      [root, "teams"],
      [root, "users"],
    ]);
    const paged = await store().listNamespaces({ prefix: [root], limit: 1, offset: 1 });
    expect(paged.namespaces).toEqual([[root, "users", "u1", "prefs"]]);
  });
});

describe("graphs share the store", () => {
  test("the store fixture sees items put through the API and its writes are visible to the API", async () => {
    const user = randomUUID();
    await store().putItem(["notes", user], "note-1", { text: "from the API" });
    const thread = await server().client.threads.create();
    const result = await server().client.runs.wait(thread.thread_id, "store", {
      input: { note: "from the graph" },
      config: { configurable: { user_id: user } },
    });
    expect(result).toMatchObject({ count: 2 });
    const written = await store().getItem(["notes", user], "note-2");
    expect(written!.value).toEqual({ text: "from the graph" });
  });
});

describe("bad input", () => {
  test("namespaces with dots, empty labels or the reserved root are 422 naming the rule", async () => {
    const cases: [string, string, unknown][] = [
      ["PUT", "/store/items", { namespace: ["a.b"], key: "k", value: {} }],
      ["PUT", "/store/items", { namespace: [], key: "k", value: {} }],
      ["PUT", "/store/items", { namespace: ["a", ""], key: "k", value: {} }],
      ["PUT", "/store/items", { namespace: ["langgraph"], key: "k", value: {} }],
      ["PUT", "/store/items", { namespace: ["a"], key: "", value: {} }],
      ["PUT", "/store/items", { namespace: ["a"], key: "k", value: [1] }],
      ["DELETE", "/store/items", { namespace: ["a.b"], key: "k" }],
      ["POST", "/store/items/search", { namespace_prefix: ["a.b"] }],
      ["POST", "/store/items/search", { filter: { n: { $gt: [1] } } }],
      ["POST", "/store/items/search", { limit: 0 }],
      ["POST", "/store/namespaces", { prefix: ["x.y"] }],
      ["POST", "/store/namespaces", { max_depth: 0 }],
    ];
    for (const [method, path, body] of cases) {
      const response = await api<{ detail: string }>(server(), method, path, body);
      expect(response.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(422);
      expect(typeof response.body.detail, JSON.stringify(body)).toBe("string");
    }
    for (const query of ["namespace=a..b&key=k", "namespace=.a&key=k", "namespace=a&key=", "namespace=a"]) {
      const response = await api<{ detail: string }>(server(), "GET", `/store/items?${query}`);
      expect(response.status, query).toBe(422);
    }
    // Nothing was written by any of them.
    expect((await store().searchItems(["a"])).items).toEqual([]);
  });

  test("text a database cannot keep, nesting past the limit and runaway filters are 422 naming the field", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 600; i += 1) deep = [deep];
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, i]));
    // JSON text as a client sends it: the escapes \u0000 and \ud800, and 1e400, are the server's to refuse.
    const cases: [string, string, string, string][] = [
      ["PUT", "/store/items", '{"namespace": ["a"], "key": "k\\u0000", "value": {}}', "key:"],
      ["PUT", "/store/items", '{"namespace": ["a\\u0000"], "key": "k", "value": {}}', "namespace:"],
      ["PUT", "/store/items", '{"namespace": ["a"], "key": "k", "value": {"text": "\\ud800"}}', "value:"],
      ["PUT", "/store/items", JSON.stringify({ namespace: ["a"], key: "k", value: { deep } }), "value:"],
      ["PUT", "/store/items", JSON.stringify({ namespace: ["a"], key: "k".repeat(1025), value: {} }), "key:"],
      ["POST", "/store/items/search", '{"filter": {"n\\u0000": 1}}', "filter:"],
      ["POST", "/store/items/search", '{"filter": {"n": "x\\u0000"}}', "filter.n:"],
      ["POST", "/store/items/search", '{"filter": {"n": 1e400}}', "filter.n:"],
      ["POST", "/store/items/search", JSON.stringify({ filter: { n: { deep } } }), "filter.n:"],
      ["POST", "/store/items/search", JSON.stringify({ filter: many }), "filter:"],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await api<{ detail: string }>(server(), method, path, body);
      expect(response.status, body.slice(0, 100)).toBe(422);
      expect(response.body.detail, body.slice(0, 100)).toContain(field);
    }
    expect((await store().searchItems(["a"])).items).toEqual([]);
  });
});
