import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import Database from "better-sqlite3";
import { STORE_SCHEMA_SQL, SqliteStore, storeItemToJson } from "../../src/runtime/store.js";

let dir: string;
let db: Database.Database;
let clock: number;
let store: SqliteStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hookgraph-store-"));
  db = new Database(join(dir, "store.sqlite"));
  db.exec(STORE_SCHEMA_SQL);
  db.exec(STORE_SCHEMA_SQL); // idempotent, as the migration runner may run it again
  clock = Date.parse("2025-01-01T00:00:00Z");
  store = new SqliteStore(db, { now: () => clock });
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("put / get / delete", () => {
  test("round-trips values with timestamps; updates keep created_at", async () => {
    await store.put(["users", "u1"], "prefs", { theme: "dark" });
    clock += 1000;
    await store.put(["users", "u1"], "prefs", { theme: "light" });
    const item = await store.get(["users", "u1"], "prefs");
    expect(item).not.toBeNull();
    expect(storeItemToJson(item!)).toEqual({
      namespace: ["users", "u1"],
      key: "prefs",
      value: { theme: "light" },
      created_at: "2025-01-01T00:00:00.000Z",
      updated_at: "2025-01-01T00:00:01.000Z",
    });
    await store.delete(["users", "u1"], "prefs");
    expect(await store.get(["users", "u1"], "prefs")).toBeNull();
  });

  test("rejects labels with periods, empty labels, empty or reserved namespaces on write", async () => {
    await expect(store.put(["a.b"], "k", {})).rejects.toThrow(/period/);
    await expect(store.put(["a", ""], "k", {})).rejects.toThrow(/empty/);
    await expect(store.put([], "k", {})).rejects.toThrow(/empty/);
    await expect(store.put(["langgraph", "x"], "k", {})).rejects.toThrow(/langgraph/);
    await expect(store.get(["a.b"], "k")).rejects.toThrow(/period/);
    await expect(store.search(["a.b"])).rejects.toThrow(/period/);
  });

  test("a prefix namespace does not see a sibling whose name starts the same", async () => {
    await store.put(["ab"], "k", { v: 1 });
    await store.put(["a"], "k", { v: 2 });
    await store.put(["a", "b"], "k", { v: 3 });
    const found = await store.search(["a"]);
    expect(found.map((item) => item.namespace)).toEqual(expect.arrayContaining([["a"], ["a", "b"]]));
    expect(found).toHaveLength(2);
  });
});

describe("ttl", () => {
  test("expired items are invisible to get, search and listNamespaces, and swept", async () => {
    await store.put(["t"], "short", { v: 1 }, undefined, { ttl: 1 });
    await store.put(["t"], "forever", { v: 2 });
    await store.put(["gone"], "x", { v: 3 }, undefined, { ttl: 1 });
    clock += 59_000;
    expect(await store.get(["t"], "short", { refreshTtl: false })).not.toBeNull();
    clock += 2_000;
    expect(await store.get(["t"], "short")).toBeNull();
    expect((await store.search(["t"])).map((item) => item.key)).toEqual(["forever"]);
    expect(await store.listNamespaces()).toEqual([["t"]]);
    expect(store.sweepExpired()).toBe(2);
  });

  test("reading refreshes the ttl unless told not to", async () => {
    await store.put(["t"], "k", { v: 1 }, undefined, { ttl: 1 });
    clock += 50_000;
    expect(await store.get(["t"], "k")).not.toBeNull(); // refresh: expires 60 s from now
    clock += 50_000;
    expect(await store.search(["t"], { refreshTtl: false })).toHaveLength(1);
    clock += 11_000;
    expect(await store.get(["t"], "k")).toBeNull();
  });

  test("re-putting an expired key starts a new item", async () => {
    await store.put(["t"], "k", { v: 1 }, undefined, { ttl: 1 });
    clock += 120_000;
    await store.put(["t"], "k", { v: 2 });
    const item = await store.get(["t"], "k");
    expect(item?.value).toEqual({ v: 2 });
    expect(item?.createdAt.getTime()).toBe(clock);
  });

  test("rejects a non-positive ttl", async () => {
    await expect(store.put(["t"], "k", {}, undefined, { ttl: 0 })).rejects.toThrow(/ttl/);
  });
});

describe("search", () => {
  beforeEach(async () => {
    const docs = [
      ["a", { kind: "fruit", color: "red", price: 3, tags: ["x"], ripe: true }],
      ["b", { kind: "fruit", color: "yellow", price: 1, ripe: false }],
      ["c", { kind: "veg", color: "red", price: 2, nested: { n: 1 } }],
      ["d", { kind: "fruit", color: "green", price: 5, note: null }],
    ] as const;
    for (const [key, value] of docs) {
      clock += 1000;
      await store.put(["shop", key === "c" ? "veg" : "fruit"], key, value);
    }
  });

  test("newest first, with limit and offset", async () => {
    expect((await store.search(["shop"])).map((item) => item.key)).toEqual(["d", "c", "b", "a"]);
    expect((await store.search(["shop"], { limit: 2, offset: 1 })).map((item) => item.key)).toEqual(["c", "b"]);
    expect((await store.search([], { limit: 1 })).map((item) => item.key)).toEqual(["d"]);
  });

  test("filters by equality on value fields of any JSON type", async () => {
    const keys = async (filter: Record<string, unknown>, prefix = ["shop"]) => (await store.search(prefix, { filter })).map((i) => i.key).sort();
    expect(await keys({ kind: "fruit", color: "red" })).toEqual(["a"]);
    expect(await keys({ color: "red" })).toEqual(["a", "c"]);
    expect(await keys({ price: 1 })).toEqual(["b"]);
    expect(await keys({ ripe: true })).toEqual(["a"]);
    expect(await keys({ ripe: false })).toEqual(["b"]);
    expect(await keys({ note: null })).toEqual(["d"]);
    expect(await keys({ tags: ["x"] })).toEqual(["a"]);
    expect(await keys({ nested: { n: 1 } })).toEqual(["c"]);
    expect(await keys({ color: "red" }, ["shop", "veg"])).toEqual(["c"]);
    expect(await keys({ price: "1" })).toEqual([]); // a string never equals a number
  });

  test("comparison operators", async () => {
    const keys = async (filter: Record<string, unknown>) => (await store.search(["shop"], { filter })).map((i) => i.key).sort();
    expect(await keys({ price: { $gt: 2 } })).toEqual(["a", "d"]);
    expect(await keys({ price: { $gte: 2, $lt: 5 } })).toEqual(["a", "c"]);
    expect(await keys({ color: { $ne: "red" } })).toEqual(["b", "d"]);
    await expect(keys({ price: { $gt: [1] } })).rejects.toMatchObject({ name: "StoreRequestError", message: "filter.price: $gt needs a number or a string" });
  });

  test("a query string does not narrow results (no vector index)", async () => {
    expect(await store.search(["shop"], { query: "anything" })).toHaveLength(4);
  });
});

describe("listNamespaces", () => {
  beforeEach(async () => {
    for (const ns of [["a", "b", "c"], ["a", "b", "d"], ["a", "x"], ["z", "b"], ["a", "b", "c"]]) await store.put(ns, `k${Math.random()}`, {});
  });

  test("sorted, deduplicated, with prefix, suffix, wildcard, max depth, limit and offset", async () => {
    expect(await store.listNamespaces()).toEqual([["a", "b", "c"], ["a", "b", "d"], ["a", "x"], ["z", "b"]]);
    expect(await store.listNamespaces({ prefix: ["a", "b"] })).toEqual([["a", "b", "c"], ["a", "b", "d"]]);
    expect(await store.listNamespaces({ suffix: ["b"] })).toEqual([["z", "b"]]);
    expect(await store.listNamespaces({ prefix: ["*", "b"] })).toEqual([["a", "b", "c"], ["a", "b", "d"], ["z", "b"]]);
    expect(await store.listNamespaces({ maxDepth: 2 })).toEqual([["a", "b"], ["a", "x"], ["z", "b"]]);
    expect(await store.listNamespaces({ maxDepth: 1, limit: 1, offset: 1 })).toEqual([["z"]]);
  });
});

describe("batch (the interface graphs use)", () => {
  test("runs mixed operations in order", async () => {
    const [, got, found, namespaces] = await store.batch([
      { namespace: ["b"], key: "k", value: { v: 1 } },
      { namespace: ["b"], key: "k" },
      { namespacePrefix: ["b"], limit: 10, offset: 0 },
      { limit: 10, offset: 0 },
    ]);
    expect((got as { value: unknown } | null)?.value).toEqual({ v: 1 });
    expect(found).toHaveLength(1);
    expect(namespaces).toEqual([["b"]]);
  });
});
