import { beforeEach, describe, expect, test } from "vitest";
import {
  InvalidNamespaceError,
  type GetOperation,
  type ListNamespacesOperation,
  type PutOperation,
  type SearchOperation,
} from "@langchain/langgraph-checkpoint";
import { StoreRequestError } from "../../../src/storage/domain/store.js";
import { describeStore } from "./graph-persistence.js";

const nested = (depth: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i += 1) value = { next: value };
  return value;
};

describeStore("store", ({ store, advance, now }) => {
  const keys = async (prefix: string[], options: Parameters<ReturnType<typeof store>["search"]>[1] = {}) =>
    (await store().search(prefix, { limit: 100, ...options })).map((item) => item.key);

  describe("put / get / delete", () => {
    test("round-trips values with timestamps; an update keeps created_at", async () => {
      const value = { theme: "dark", nested: { list: [1, 2.5, "ü 𝄞"], flag: false, none: null } };
      await store().put(["users", "u1"], "prefs", value);
      advance(1000);
      await store().put(["users", "u1"], "prefs", { ...value, theme: "light" });
      const item = await store().get(["users", "u1"], "prefs");
      expect(item).toEqual({
        namespace: ["users", "u1"],
        key: "prefs",
        value: { ...value, theme: "light" },
        createdAt: new Date("2025-01-01T00:00:00.000Z"),
        updatedAt: new Date("2025-01-01T00:00:01.000Z"),
      });
      await store().delete(["users", "u1"], "prefs");
      expect(await store().get(["users", "u1"], "prefs")).toBeNull();
      await store().delete(["users", "u1"], "prefs"); // deleting what is not there is no error
    });

    test("rejects labels with periods, empty labels, empty or reserved namespaces on write", async () => {
      await expect(store().put(["a.b"], "k", {})).rejects.toThrow(/period/);
      await expect(store().put(["a", ""], "k", {})).rejects.toThrow(/empty/);
      await expect(store().put([], "k", {})).rejects.toThrow(/empty/);
      await expect(store().put(["langgraph", "x"], "k", {})).rejects.toThrow(/langgraph/);
      await expect(store().get(["a.b"], "k")).rejects.toThrow(InvalidNamespaceError);
      await expect(store().search(["a.b"])).rejects.toThrow(InvalidNamespaceError);
    });

    test("a prefix namespace does not see a sibling whose name starts the same", async () => {
      await store().put(["ab"], "k", { v: 1 });
      await store().put(["a"], "k", { v: 2 });
      await store().put(["a", "b"], "k", { v: 3 });
      await store().put(["a-"], "k", { v: 4 });
      const found = await store().search(["a"]);
      expect(found.map((item) => item.namespace).sort()).toEqual([["a"], ["a", "b"]]);
    });
  });

  describe("ttl", () => {
    test("expired items are invisible to get, search and listNamespaces, and swept", async () => {
      await store().put(["t"], "short", { v: 1 }, undefined, { ttl: 1 });
      await store().put(["t"], "forever", { v: 2 });
      await store().put(["gone"], "x", { v: 3 }, undefined, { ttl: 1 });
      advance(59_000);
      expect(await store().get(["t"], "short", { refreshTtl: false })).not.toBeNull();
      advance(2_000);
      expect(await store().get(["t"], "short")).toBeNull();
      expect(await keys(["t"])).toEqual(["forever"]);
      expect(await store().listNamespaces()).toEqual([["t"]]);
      expect(await store().sweepExpired()).toBe(2);
      expect(await store().sweepExpired()).toBe(0);
    });

    test("reading refreshes the ttl unless told not to; search refreshes what it returns", async () => {
      await store().put(["t"], "k", { v: 1 }, undefined, { ttl: 1 });
      advance(50_000);
      expect(await store().get(["t"], "k")).not.toBeNull(); // expires 60 s from now
      advance(50_000);
      expect(await store().search(["t"], { refreshTtl: false })).toHaveLength(1);
      advance(9_000);
      expect(await store().search(["t"])).toHaveLength(1); // expires 60 s from now
      advance(59_000);
      expect(await store().get(["t"], "k", { refreshTtl: false })).not.toBeNull();
      advance(2_000);
      expect(await store().get(["t"], "k")).toBeNull();
    });

    test("fractions of a minute", async () => {
      await store().put(["t"], "k", { v: 1 }, undefined, { ttl: 1 / 60 });
      advance(999);
      expect(await store().get(["t"], "k", { refreshTtl: false })).not.toBeNull();
      advance(2);
      expect(await store().get(["t"], "k")).toBeNull();
    });

    test("re-putting an expired key starts a new item", async () => {
      await store().put(["t"], "k", { v: 1 }, undefined, { ttl: 1 });
      advance(120_000);
      await store().put(["t"], "k", { v: 2 });
      const item = await store().get(["t"], "k");
      expect(item?.value).toEqual({ v: 2 });
      expect(item?.createdAt.getTime()).toBe(now());
    });

    test("a ttl must be a positive number of minutes up to 1,000 years", async () => {
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 525_600_001]) {
        await expect(store().put(["t"], "k", {}, undefined, { ttl })).rejects.toThrow(StoreRequestError);
      }
      await store().put(["t"], "k", {}, undefined, { ttl: 525_600_000 });
      expect(await store().get(["t"], "k")).not.toBeNull();
    });
  });

  describe("search", () => {
    beforeEach(async () => {
      const docs = [
        ["a", { kind: "fruit", color: "red", price: 3, tags: ["x"], ripe: true, code: "1" }],
        ["b", { kind: "fruit", color: "yellow", price: 1, ripe: false, code: 1 }],
        ["c", { kind: "veg", color: "Red", price: 2.5, nested: { n: 1, m: [true, null] }, code: true }],
        ["d", { kind: "fruit", color: "green", price: 5, note: null }],
      ] as const;
      for (const [key, value] of docs) {
        advance(1000);
        await store().put(["shop", key === "c" ? "veg" : "fruit"], key, value);
      }
    });

    test("newest first, with limit and offset", async () => {
      expect(await keys(["shop"])).toEqual(["d", "c", "b", "a"]);
      expect((await store().search(["shop"], { limit: 2, offset: 1 })).map((item) => item.key)).toEqual(["c", "b"]);
      expect((await store().search([], { limit: 1 })).map((item) => item.key)).toEqual(["d"]);
      expect(await store().search(["shop"])).toHaveLength(4); // default limit 10
    });

    test("equal update times order by namespace, then key, in byte order", async () => {
      for (const [namespace, key] of [[["b"], "k"], [["a"], "z"], [["a"], "y"], [["A"], "k"], [["a", "b"], "k"]] as const) {
        await store().put([...namespace], key, {});
      }
      const items = await store().search([], { limit: 5 });
      expect(items.map((item) => `${item.namespace.join(".")}/${item.key}`)).toEqual(["A/k", "a/y", "a/z", "a.b/k", "b/k"]);
    });

    test("equality on value fields of any JSON type, each type apart", async () => {
      const match = (filter: Record<string, unknown>, prefix = ["shop"]) => keys(prefix, { filter }).then((found) => found.sort());
      expect(await match({ kind: "fruit", color: "red" })).toEqual(["a"]);
      expect(await match({ price: 1 })).toEqual(["b"]);
      expect(await match({ price: 2.5 })).toEqual(["c"]);
      expect(await match({ ripe: true })).toEqual(["a"]);
      expect(await match({ ripe: false })).toEqual(["b"]);
      expect(await match({ note: null })).toEqual(["d"]);
      expect(await match({ tags: ["x"] })).toEqual(["a"]);
      expect(await match({ color: "red" }, ["shop", "veg"])).toEqual([]);
      expect(await match({ price: "1" })).toEqual([]);
      expect(await match({ code: "1" })).toEqual(["a"]);
      expect(await match({ code: 1 })).toEqual(["b"]);
      expect(await match({ code: true })).toEqual(["c"]);
      expect(await match({ missing: null })).toEqual([]);
    });

    test("objects are equal whatever the order of their keys; arrays keep theirs", async () => {
      const match = (filter: Record<string, unknown>) => keys(["shop"], { filter });
      expect(await match({ nested: { n: 1, m: [true, null] } })).toEqual(["c"]);
      expect(await match({ nested: { m: [true, null], n: 1 } })).toEqual(["c"]);
      expect(await match({ nested: { n: 1, m: [null, true] } })).toEqual([]);
      expect(await match({ nested: { n: 1 } })).toEqual([]);
      expect(await match({ nested: { n: 1, m: [true, null], o: 2 } })).toEqual([]);
      expect(await match({ nested: { n: "1", m: [true, null] } })).toEqual([]);
      expect(await match({ tags: { 0: "x" } })).toEqual([]);
    });

    test("comparison operators; strings compare by code point; $ne matches items without the field", async () => {
      const match = (filter: Record<string, unknown>) => keys(["shop"], { filter }).then((found) => found.sort());
      expect(await match({ price: { $gt: 2.5 } })).toEqual(["a", "d"]);
      expect(await match({ price: { $gte: 2.5, $lt: 5 } })).toEqual(["a", "c"]);
      expect(await match({ price: { $lte: 1 } })).toEqual(["b"]);
      expect(await match({ color: { $ne: "red" } })).toEqual(["b", "c", "d"]);
      expect(await match({ note: { $ne: null } })).toEqual(["a", "b", "c"]);
      expect(await match({ color: { $lt: "b" } })).toEqual(["c"]); // "Red" < "b" < "red"
      expect(await match({ color: { $gt: "r" } })).toEqual(["a", "b"]);
      expect(await match({ code: { $gte: 1 } })).toEqual(["b"]); // only numbers compare with a number
      expect(await match({ price: { $eq: 3 } })).toEqual(["a"]);
    });

    test("field names with quotes, dots and brackets are one top-level field", async () => {
      const value = { 'we"ird': 1, "a.b": 2, "[0]": 3, "back\\slash": 4, $x: 5 };
      await store().put(["odd"], "k", value);
      for (const [field, expected] of Object.entries(value)) expect(await keys(["odd"], { filter: { [field]: expected } })).toEqual(["k"]);
      expect(await keys(["odd"], { filter: { a: { b: 2 } } })).toEqual([]);
    });

    test("a query string does not narrow results (no vector index)", async () => {
      expect(await store().search(["shop"], { query: "anything" })).toHaveLength(4);
    });

    test("bad filters are the client's error", async () => {
      const bad = (filter: Record<string, unknown>) => store().search(["shop"], { filter });
      await expect(bad({ price: { $gt: [1] } })).rejects.toMatchObject({ name: "StoreRequestError", message: "filter.price: $gt needs a number or a string" });
      await expect(bad({ price: { $lt: null } })).rejects.toThrow(StoreRequestError);
      await expect(bad({ price: Number.POSITIVE_INFINITY })).rejects.toThrow(/filter.price: numbers must be finite/);
      await expect(bad({ price: { $gt: Number.NaN } })).rejects.toThrow(StoreRequestError);
    });

    test("limits and offsets far out of range page as far as there is", async () => {
      expect(await store().search(["shop"], { limit: 1e300 })).toHaveLength(4);
      expect(await store().search(["shop"], { offset: 1e300 })).toEqual([]);
      expect(await store().search(["shop"], { limit: -5 })).toEqual([]);
    });
  });

  describe("hostile input is a StoreRequestError or InvalidNamespaceError, never a database error", () => {
    const unstorable = ["nul\u0000", "half \ud800 pair", "\udc00"];

    test("in keys, namespace labels and values", async () => {
      for (const text of unstorable) {
        await expect(store().put(["ns"], text, {})).rejects.toThrow(StoreRequestError);
        await expect(store().get(["ns"], text)).rejects.toThrow(StoreRequestError);
        await expect(store().put(["ns", text], "k", {})).rejects.toThrow(InvalidNamespaceError);
        await expect(store().search([text])).rejects.toThrow(InvalidNamespaceError);
        await expect(store().put(["ns"], "k", { deep: [{ text }] })).rejects.toThrow(/value: text may not contain/);
        await expect(store().put(["ns"], "k", { [text]: 1 })).rejects.toThrow(/value: text may not contain/);
      }
      await expect(store().put(["ns"], "k", { fine: "pair 𝄞 kept" })).resolves.toBeUndefined();
    });

    test("in filters", async () => {
      for (const text of unstorable) {
        await expect(store().search(["ns"], { filter: { [text]: 1 } })).rejects.toThrow(StoreRequestError);
        await expect(store().search(["ns"], { filter: { f: text } })).rejects.toThrow(/filter.f: text may not contain/);
        await expect(store().search(["ns"], { filter: { f: { $gt: text } } })).rejects.toThrow(StoreRequestError);
        await expect(store().search(["ns"], { filter: { f: { inner: [text] } } })).rejects.toThrow(StoreRequestError);
      }
      const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`f${i}`, i]));
      await expect(store().search(["ns"], { filter: many })).rejects.toThrow(/at most 100 conditions/);
      await expect(store().search(["ns"], { filter: { big: 1e308, small: -1e308, tiny: 5e-324 } })).resolves.toEqual([]);
    });

    test("deep values and operands", async () => {
      await expect(store().put(["ns"], "k", nested(501))).rejects.toThrow(/value: nested deeper than 500 levels/);
      await expect(store().put(["ns"], "k", nested(100_000))).rejects.toThrow(StoreRequestError);
      await expect(store().search(["ns"], { filter: { f: nested(1200) } })).rejects.toThrow(/filter.f: nested deeper/);
      await store().put(["ns"], "k", nested(500));
      expect(await keys(["ns"], { filter: { next: nested(499) } })).toEqual(["k"]);
    });

    test("namespaces and keys too long for an index", async () => {
      await expect(store().put(["n".repeat(1025)], "k", {})).rejects.toThrow(InvalidNamespaceError);
      await expect(store().put(["ns"], "é".repeat(513), {})).rejects.toThrow(/key: at most 1024 bytes/);
      await store().put(["n".repeat(1024)], "k".repeat(1024), { ok: true });
      expect(await store().get(["n".repeat(1024)], "k".repeat(1024))).not.toBeNull();
    });
  });

  describe("listNamespaces", () => {
    beforeEach(async () => {
      for (const namespace of [["a", "b", "c"], ["a", "b", "d"], ["a", "x"], ["z", "b"], ["a", "b", "c"], ["ab", "b"]]) {
        await store().put(namespace, `k${namespace.length}-${Math.random()}`, {});
      }
    });

    test("sorted, deduplicated, with prefix, suffix, wildcard, max depth, limit and offset", async () => {
      expect(await store().listNamespaces()).toEqual([["a", "b", "c"], ["a", "b", "d"], ["a", "x"], ["ab", "b"], ["z", "b"]]);
      expect(await store().listNamespaces({ prefix: ["a", "b"] })).toEqual([["a", "b", "c"], ["a", "b", "d"]]);
      expect(await store().listNamespaces({ prefix: ["a"] })).toEqual([["a", "b", "c"], ["a", "b", "d"], ["a", "x"]]);
      expect(await store().listNamespaces({ suffix: ["b"] })).toEqual([["ab", "b"], ["z", "b"]]);
      expect(await store().listNamespaces({ prefix: ["*", "b"] })).toEqual([["a", "b", "c"], ["a", "b", "d"], ["ab", "b"], ["z", "b"]]);
      expect(await store().listNamespaces({ prefix: ["a", "*", "d"] })).toEqual([["a", "b", "d"]]);
      expect(await store().listNamespaces({ prefix: ["a"], suffix: ["c"] })).toEqual([["a", "b", "c"]]);
      expect(await store().listNamespaces({ maxDepth: 2 })).toEqual([["a", "b"], ["a", "x"], ["ab", "b"], ["z", "b"]]);
      expect(await store().listNamespaces({ maxDepth: 1, limit: 1, offset: 1 })).toEqual([["ab"]]);
    });

    test("bad paths and depths are the client's error", async () => {
      await expect(store().listNamespaces({ prefix: ["a.b"] })).rejects.toThrow(InvalidNamespaceError);
      await expect(store().listNamespaces({ suffix: ["\u0000"] })).rejects.toThrow(InvalidNamespaceError);
      await expect(store().listNamespaces({ maxDepth: 0 })).rejects.toThrow(/max_depth/);
    });
  });

  describe("batch (the interface graphs use)", () => {
    test("runs mixed operations in order, refreshing what it reads", async () => {
      await store().put(["b"], "ttl", { v: 0 }, undefined, { ttl: 1 });
      advance(50_000);
      const ops: [PutOperation, GetOperation, SearchOperation, ListNamespacesOperation, PutOperation, GetOperation] = [
        { namespace: ["b"], key: "k", value: { v: 1 } },
        { namespace: ["b"], key: "k" },
        { namespacePrefix: ["b"], limit: 10, offset: 0 },
        { limit: 10, offset: 0 },
        { namespace: ["b"], key: "k", value: null },
        { namespace: ["b"], key: "k" },
      ];
      const [, got, found, namespaces, , gone] = await store().batch(ops);
      expect(got?.value).toEqual({ v: 1 });
      expect(found.map((item) => item.key).sort()).toEqual(["k", "ttl"]);
      expect(namespaces).toEqual([["b"]]);
      expect(gone).toBeNull();
      advance(50_000);
      expect(await store().get(["b"], "ttl", { refreshTtl: false })).not.toBeNull();
    });

    test("a batch with an invalid operation writes nothing", async () => {
      await expect(
        store().batch([
          { namespace: ["b"], key: "first", value: { v: 1 } },
          { namespace: ["b"], key: "second", value: { bad: "\u0000" } },
        ]),
      ).rejects.toThrow(StoreRequestError);
      expect(await store().get(["b"], "first")).toBeNull();
    });
  });
});
