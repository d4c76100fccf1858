import { randomUUID } from "node:crypto";
import { afterEach, expect, test, vi } from "vitest";
import { HookgraphError } from "../../../src/errors.js";
import type { AssistantSearch, Storage } from "../../../src/storage/storage.js";
import { systemAssistantId } from "../../../src/storage/system-assistant.js";
import { describeStorage } from "./backends.js";

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

afterEach(() => {
  vi.useRealTimers();
});

/** The HookgraphError a call fails with (an other error, or none, fails the test). */
async function failure(call: Promise<unknown>): Promise<HookgraphError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(HookgraphError);
  return error as HookgraphError;
}

describeStorage("assistants", (backend) => {
  const assistants = () => backend.storage().assistants;
  /** Each test's assistants carry their own tag, so tests sharing the file's database stay apart. */
  const tagged = (tag: string, query: Partial<AssistantSearch> = {}) =>
    assistants().search({ limit: 100, offset: 0, ...query, metadata: { tag, ...query.metadata } });

  test("create keeps every field, fills the defaults, and starts at version 1", async () => {
    const assistantId = randomUUID();
    const created = await assistants().create({
      assistant_id: assistantId,
      graph_id: "echo",
      name: "Echo bot",
      description: "answers with what it got",
      config: { configurable: { model: "x" }, tags: ["t"] },
      context: { user: "u1" },
      metadata: { team: "blue", level: 3, nested: { deep: [1, "two", null] } },
    });
    expect(created).toEqual({
      assistant_id: assistantId,
      graph_id: "echo",
      name: "Echo bot",
      description: "answers with what it got",
      config: { configurable: { model: "x" }, tags: ["t"] },
      context: { user: "u1" },
      metadata: { team: "blue", level: 3, nested: { deep: [1, "two", null] } },
      version: 1,
      created_at: expect.stringMatching(ISO_MS_UTC),
      updated_at: created.created_at,
    });
    expect(await assistants().get(assistantId)).toEqual(created);

    const bare = await assistants().create({ graph_id: "echo" });
    expect(bare).toMatchObject({ name: "Untitled", description: null, config: {}, context: {}, metadata: {}, version: 1 });
    expect(await assistants().versions(bare.assistant_id, { limit: 10, offset: 0 })).toEqual([
      { assistant_id: bare.assistant_id, version: 1, graph_id: "echo", name: "Untitled", description: null, config: {}, context: {}, metadata: {}, created_at: bare.created_at },
    ]);
    expect(await assistants().get(randomUUID())).toBeUndefined();
  });

  test("if_exists: raise is a 409 naming the id; do_nothing answers the existing assistant unchanged", async () => {
    const assistantId = randomUUID();
    const first = await assistants().create({ assistant_id: assistantId, graph_id: "echo", name: "first" });
    const error = await failure(assistants().create({ assistant_id: assistantId, graph_id: "echo" }));
    expect(error.statusCode).toBe(409);
    expect(error.message).toContain(assistantId);
    expect(await assistants().create({ assistant_id: assistantId, graph_id: "two_step", name: "second", if_exists: "do_nothing" })).toEqual(first);
    expect(await assistants().versions(assistantId, { limit: 10, offset: 0 })).toHaveLength(1);
  });

  test("patch makes the next version: fields replace, metadata merges, null clears the description", async () => {
    const created = await assistants().create({
      graph_id: "echo",
      name: "v1",
      description: "first",
      config: { configurable: { a: 1 } },
      metadata: { keep: true, change: 1 },
    });
    const second = await assistants().patch(created.assistant_id, { name: "v2", config: { configurable: { b: 2 } }, metadata: { change: 2, added: "x" } });
    expect(second).toMatchObject({
      version: 2,
      name: "v2",
      graph_id: "echo",
      description: "first",
      config: { configurable: { b: 2 } },
      context: {},
      metadata: { keep: true, change: 2, added: "x" },
      created_at: created.created_at,
    });
    expect(Date.parse(second.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    const third = await assistants().patch(created.assistant_id, { graph_id: "two_step", description: null, context: { c: 3 } });
    expect(third).toMatchObject({ version: 3, graph_id: "two_step", name: "v2", description: null, context: { c: 3 } });
    expect(await assistants().get(created.assistant_id)).toEqual(third);

    const versions = await assistants().versions(created.assistant_id, { limit: 10, offset: 0 });
    expect(versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(versions[2]).toMatchObject({ name: "v1", description: "first", config: { configurable: { a: 1 } }, metadata: { keep: true, change: 1 } });
    expect(versions[0].created_at).toBe(third.updated_at);
    expect((await assistants().versions(created.assistant_id, { limit: 1, offset: 1 })).map((v) => v.version)).toEqual([2]);
    expect((await assistants().versions(created.assistant_id, { limit: 10, offset: 0, metadata: { added: "x" } })).map((v) => v.version)).toEqual([3, 2]);
    expect(await assistants().versions(created.assistant_id, { limit: 10, offset: 0, metadata: { added: "y" } })).toEqual([]);

    const missing = randomUUID();
    const error = await failure(assistants().patch(missing, { name: "x" }));
    expect(error.statusCode).toBe(404);
    expect(error.message).toContain(missing);
  });

  test("setLatest restores a version's fields without adding one; the next patch numbers after the highest", async () => {
    const created = await assistants().create({ graph_id: "echo", name: "v1", config: { configurable: { a: 1 } }, metadata: { keep: true } });
    await assistants().patch(created.assistant_id, { name: "v2", graph_id: "two_step", metadata: { more: 1 } });
    const restored = await assistants().setLatest(created.assistant_id, 1);
    expect(restored).toMatchObject({ version: 1, name: "v1", graph_id: "echo", config: { configurable: { a: 1 } }, metadata: { keep: true } });
    expect(restored.created_at).toBe(created.created_at);
    expect(await assistants().get(created.assistant_id)).toEqual(restored);
    expect((await assistants().versions(created.assistant_id, { limit: 10, offset: 0 })).map((v) => v.version)).toEqual([2, 1]);
    expect(await assistants().patch(created.assistant_id, { name: "v3" })).toMatchObject({ version: 3, name: "v3", graph_id: "echo" });

    for (const version of [99, 2 ** 40]) {
      const error = await failure(assistants().setLatest(created.assistant_id, version));
      expect(error.statusCode).toBe(404);
      expect(error.message).toContain(`${created.assistant_id}@${version}`);
    }
    expect((await failure(assistants().setLatest(randomUUID(), 1))).statusCode).toBe(404);
    expect(await assistants().get(created.assistant_id)).toMatchObject({ version: 3, name: "v3" });
  });

  test("delete removes the assistant with its versions; deleting it again is a 404", async () => {
    const created = await assistants().create({ graph_id: "echo" });
    await assistants().patch(created.assistant_id, { name: "x" });
    await assistants().delete(created.assistant_id);
    expect(await assistants().get(created.assistant_id)).toBeUndefined();
    expect((await failure(assistants().versions(created.assistant_id, { limit: 10, offset: 0 }))).statusCode).toBe(404);
    const again = await failure(assistants().delete(created.assistant_id));
    expect(again.statusCode).toBe(404);
    expect(again.message).toContain(created.assistant_id);
    // The id is free again.
    expect((await assistants().create({ assistant_id: created.assistant_id, graph_id: "echo" })).version).toBe(1);
  });

  test("search and count filter by graph, name (any case, a substring) and metadata containment", async () => {
    const tag = randomUUID();
    const make = (graph_id: string, name: string, metadata: object) => assistants().create({ graph_id, name, metadata: { tag, ...metadata } });
    await make("echo", "Alpha helper", { rank: 1, owner: { team: "a", id: 1 }, labels: ["x", "y"] });
    await make("two_step", "beta HELPER", { rank: 2, owner: { team: "b", id: 2 }, labels: ["y"] });
    await make("echo", "Gamma", { rank: 3, flag: true });
    await make("echo", "delta helper", { rank: "3", flag: null });

    const names = async (query: Partial<AssistantSearch>) => (await tagged(tag, query)).map((a) => a.name).sort();
    const count = (query: Omit<Partial<AssistantSearch>, "limit" | "offset">) => assistants().count({ ...query, metadata: { tag, ...query.metadata } });
    expect(await names({ graph_id: "echo" })).toEqual(["Alpha helper", "Gamma", "delta helper"]);
    expect(await names({ name: "Helper" })).toEqual(["Alpha helper", "beta HELPER", "delta helper"]);
    expect(await names({ name: "a h", graph_id: "echo" })).toEqual(["Alpha helper", "delta helper"]);
    expect(await names({ metadata: { owner: { team: "a" } } })).toEqual(["Alpha helper"]);
    expect(await names({ metadata: { labels: ["y"] } })).toEqual(["Alpha helper", "beta HELPER"]);
    // JSON types stay apart: 3 is not "3", false is not null.
    expect(await names({ metadata: { rank: 3 } })).toEqual(["Gamma"]);
    expect(await names({ metadata: { rank: "3" } })).toEqual(["delta helper"]);
    expect(await names({ metadata: { flag: null } })).toEqual(["delta helper"]);
    expect(await names({ metadata: { owner: { team: "c" } } })).toEqual([]);
    expect(await count({})).toBe(4);
    expect(await count({ graph_id: "echo", name: "HELPER" })).toBe(2);
    expect(await count({ metadata: { labels: ["x", "y"] } })).toBe(1);
    expect(await count({ graph_id: "missing" })).toBe(0);
  });

  test("search sorts by any allowed column, text by code point, ties in creation order; pages by offset", async () => {
    const tag = randomUUID();
    // One instant for all: the order of equal timestamps is the order of creation.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2021-05-06T07:08:09.010Z") });
    const made = [];
    for (const name of ["beta", "Alpha", "gamma", "Beta", "alpha"]) made.push(await assistants().create({ graph_id: "echo", name, metadata: { tag } }));
    vi.useRealTimers();
    const ids = (list: { assistant_id: string }[]) => list.map((a) => a.assistant_id);
    const byName = (list: { name: string }[]) => list.map((a) => a.name);

    expect(ids(await tagged(tag))).toEqual(ids(made).reverse());
    expect(ids(await tagged(tag, { sort_by: "created_at", sort_order: "asc" }))).toEqual(ids(made));
    expect(byName(await tagged(tag, { sort_by: "name", sort_order: "asc" }))).toEqual(["Alpha", "Beta", "alpha", "beta", "gamma"]);
    expect(byName(await tagged(tag, { sort_by: "name", sort_order: "desc" }))).toEqual(["gamma", "beta", "alpha", "Beta", "Alpha"]);
    expect(ids(await tagged(tag, { sort_by: "assistant_id", sort_order: "asc" }))).toEqual(ids(made).sort());
    expect(byName(await tagged(tag, { sort_by: "name", sort_order: "asc", limit: 2, offset: 1 }))).toEqual(["Beta", "alpha"]);
    expect(await tagged(tag, { offset: 5 })).toEqual([]);

    await assistants().patch(made[0].assistant_id, { name: "beta again" });
    expect((await tagged(tag, { sort_by: "updated_at", limit: 1 }))[0].assistant_id).toBe(made[0].assistant_id);

    const error = await failure(tagged(tag, { sort_by: "version" as AssistantSearch["sort_by"] }));
    expect(error.statusCode).toBe(422);
    expect(error.message).toContain("sort_by");
  });

  test("ensureSystem makes one assistant per graph, id uuid5(graph_id), once however often it runs", async () => {
    const graphs = [`system_${randomUUID()}`, `system_${randomUUID()}`];
    await assistants().ensureSystem(graphs);
    await assistants().ensureSystem([graphs[1], graphs[0], graphs[1]]);
    for (const graphId of graphs) {
      const system = await assistants().get(systemAssistantId(graphId));
      expect(system).toMatchObject({ graph_id: graphId, name: graphId, description: null, config: {}, context: {}, metadata: { created_by: "system" }, version: 1 });
      expect(await assistants().versions(systemAssistantId(graphId), { limit: 10, offset: 0 })).toHaveLength(1);
    }
    // One that a person changed stays as they left it.
    await assistants().patch(systemAssistantId(graphs[0]), { name: "renamed" });
    await assistants().ensureSystem(graphs);
    expect(await assistants().get(systemAssistantId(graphs[0]))).toMatchObject({ name: "renamed", version: 2 });
    await assistants().ensureSystem([]);
  });

  test.runIf(backend.dialect === "postgres")("input PostgreSQL cannot store is a 422 naming the field, and writes nothing", async () => {
    const assistantId = randomUUID();
    const cases: [object, string][] = [
      [{ name: "a\u0000b" }, "name"],
      [{ description: "\u0000" }, "description"],
      [{ metadata: { note: "a\u0000" } }, "metadata"],
      [{ config: { configurable: { half: "\ud800" } } }, "config"],
      [{ context: { ["key\u0000"]: 1 } }, "context"],
    ];
    for (const [fields, field] of cases) {
      const error = await failure(assistants().create({ assistant_id: assistantId, graph_id: "echo", ...fields }));
      expect(error.statusCode, field).toBe(422);
      expect(error.message, field).toMatch(new RegExp(`^${field}:`));
    }
    expect(await assistants().get(assistantId)).toBeUndefined();

    const created = await assistants().create({ assistant_id: assistantId, graph_id: "echo", metadata: { ok: 1 } });
    const error = await failure(assistants().patch(assistantId, { name: "fine", metadata: { bad: "\u0000" } }));
    expect(error.message).toMatch(/^metadata:/);
    expect(await assistants().get(assistantId)).toEqual(created);
    expect(await assistants().versions(assistantId, { limit: 10, offset: 0 })).toHaveLength(1);
    expect((await failure(assistants().get("\u0000"))).message).toMatch(/^assistant_id:/);
    expect((await failure(assistants().search({ limit: 1, offset: 0, name: "\u0000" }))).message).toMatch(/^name:/);
  });

  test.runIf(backend.dialect === "postgres")("processes creating one id at once: one creates it, the others get it (do_nothing) or a 409 (raise)", async () => {
    const storages: Storage[] = [backend.storage(), await backend.another(), await backend.another()];
    for (const ifExists of ["do_nothing", "raise"] as const) {
      const assistantId = randomUUID();
      const results = await Promise.allSettled(
        storages.flatMap((storage, i) =>
          [0, 1, 2].map((j) => storage.assistants.create({ assistant_id: assistantId, graph_id: "echo", name: `by ${i}.${j}`, if_exists: ifExists })),
        ),
      );
      const created = results.filter((result) => result.status === "fulfilled").map((result) => result.value);
      const refused = results.filter((result) => result.status === "rejected").map((result) => result.reason as HookgraphError);
      const stored = await assistants().get(assistantId);
      if (ifExists === "do_nothing") {
        expect(refused).toEqual([]);
        expect(created).toHaveLength(9);
        for (const answer of created) expect(answer).toEqual(stored);
      } else {
        expect(created).toEqual([stored]);
        expect(refused.map((error) => error.statusCode)).toEqual(Array(8).fill(409));
      }
      expect(await assistants().versions(assistantId, { limit: 10, offset: 0 })).toHaveLength(1);
    }
  });

  test.runIf(backend.dialect === "postgres")("concurrent patches from several processes each get their own consecutive version and lose no change", async () => {
    const storages: Storage[] = [backend.storage(), await backend.another(), await backend.another()];
    const created = await assistants().create({ graph_id: "echo", metadata: { start: true } });
    const patches = await Promise.all(
      Array.from({ length: 12 }, (_, i) => storages[i % storages.length].assistants.patch(created.assistant_id, { metadata: { [`k${i}`]: i } })),
    );
    expect(patches.map((patch) => patch.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    const latest = await assistants().get(created.assistant_id);
    expect(latest!.version).toBe(13);
    expect(latest!.metadata).toEqual({ start: true, ...Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, i])) });
    // A setLatest racing a patch adds no version; the patch adds exactly one.
    await Promise.all([storages[1].assistants.setLatest(created.assistant_id, 1), storages[2].assistants.patch(created.assistant_id, { name: "last" })]);
    expect((await assistants().versions(created.assistant_id, { limit: 100, offset: 0 })).map((v) => v.version)).toEqual(
      Array.from({ length: 14 }, (_, i) => 14 - i),
    );
  });

  test.runIf(backend.dialect === "postgres")("processes starting together make each system assistant once", async () => {
    const storages: Storage[] = [backend.storage(), await backend.another(), await backend.another(), await backend.another()];
    // Enough graphs for the inserts to overlap, in different orders: without the start-up lock
    // they deadlock (each waiting on an id the other inserted first).
    const graphs = Array.from({ length: 300 }, () => `system_${randomUUID()}`);
    await Promise.all(storages.map((storage, i) => storage.assistants.ensureSystem(i % 2 ? [...graphs].reverse() : graphs)));
    for (const graphId of graphs) {
      expect(await assistants().count({ graph_id: graphId })).toBe(1);
      expect(await assistants().versions(systemAssistantId(graphId), { limit: 10, offset: 0 })).toHaveLength(1);
    }
  });
});
