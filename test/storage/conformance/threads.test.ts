import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { expect, test } from "vitest";
import type { Storage, ThreadSearch } from "../../../src/storage/storage.js";
import type { Json, JsonObject, Thread, ThreadStatus } from "../../../src/storage/types.js";
import { containsJson } from "../../../src/storage/sqlite/json.js";
import { describeStorage, type StorageUnderTest } from "./backends.js";
import { createRun, runInput } from "./queue-fixtures.js";

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const threadIds = (threads: readonly Thread[]) => threads.map((thread) => thread.thread_id);
const later = (ms: number) => new Date(Date.now() + ms);

/** A second process on PostgreSQL; on the embedded database (one owner) the same storage plays both parts. */
const secondProcess = (backend: StorageUnderTest): Promise<Storage> =>
  backend.dialect === "postgres" ? backend.another() : Promise.resolve(backend.storage());

describeStorage("threads", (backend) => {
  const threads = () => backend.storage().threads;
  /** Each test's threads carry a tag of their own: the file's tests share one database. */
  const tagged = (tag: string, query: Partial<ThreadSearch> = {}) =>
    threads().search({ limit: 100, offset: 0, ...query, metadata: { tag, ...query.metadata } });

  test("create keeps the id and metadata and starts idle with no values; if_exists raise is a 409, do_nothing answers the thread", async () => {
    const threadId = randomUUID();
    const created = await threads().create({ thread_id: threadId, metadata: { owner: "ann", nested: { n: [1, 2] } } });
    expect(created).toEqual({
      thread_id: threadId,
      status: "idle",
      metadata: { owner: "ann", nested: { n: [1, 2] } },
      config: {},
      values: null,
      interrupts: {},
      created_at: expect.stringMatching(ISO_MS_UTC),
      updated_at: created.created_at,
    });
    expect(await threads().get(threadId)).toEqual(created);
    await expect(threads().create({ thread_id: threadId })).rejects.toMatchObject({ statusCode: 409, message: `thread ${threadId} already exists` });
    expect(await threads().create({ thread_id: threadId, metadata: { other: true }, if_exists: "do_nothing" })).toEqual(created);
    expect((await threads().create({})).thread_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await threads().get(randomUUID())).toBeUndefined();
  });

  test("patch merges metadata key by key; 404 for an unknown thread", async () => {
    const { thread_id } = await threads().create({ metadata: { keep: 1, change: "a" } });
    const patched = await threads().patch(thread_id, { metadata: { change: "b", added: [true] } });
    expect(patched.metadata).toEqual({ keep: 1, change: "b", added: [true] });
    expect(patched.updated_at >= patched.created_at).toBe(true);
    expect(await threads().get(thread_id)).toEqual(patched);
    await expect(threads().patch(randomUUID(), { metadata: {} })).rejects.toMatchObject({ statusCode: 404 });
  });

  test("a ttl makes the thread expire; patching the ttl counts it again from now", async () => {
    const tag = randomUUID();
    const { thread_id } = await threads().create({ metadata: { tag }, ttl_minutes: 1 });
    const expiredAt = async (ms: number) => (await threads().expired(later(ms), 1000)).includes(thread_id);
    expect(await expiredAt(30_000)).toBe(false);
    expect(await expiredAt(61_000)).toBe(true);
    await threads().patch(thread_id, { ttl_minutes: 10 });
    expect(await expiredAt(61_000)).toBe(false);
    expect(await expiredAt(601_000)).toBe(true);
    // A patch without a ttl keeps the expiry.
    await threads().patch(thread_id, { metadata: { again: true } });
    expect(await expiredAt(601_000)).toBe(true);
    const second = await threads().create({ ttl_minutes: 1 });
    expect(await threads().expired(later(61_000), 1)).toHaveLength(1);
    expect(await threads().expired(later(601_000), 1000)).toEqual(expect.arrayContaining([thread_id, second.thread_id]));
  });

  test("delete removes the thread with its runs; false for an unknown thread", async () => {
    const run = await createRun(backend.storage());
    await backend.storage().runs.finish(run.run_id, { status: "success" });
    expect(await threads().delete(run.thread_id)).toBe(true);
    expect(await threads().get(run.thread_id)).toBeUndefined();
    expect(await backend.storage().runs.get(run.run_id)).toBeUndefined();
    expect(await threads().delete(run.thread_id)).toBe(false);
  });

  test("setState writes the parts it is given; 404 for an unknown thread", async () => {
    const { thread_id } = await threads().create({});
    await threads().setState(thread_id, { values: { messages: ["hi"] }, interrupts: { node: [{ value: 1 }] }, status: "interrupted" });
    expect(await threads().get(thread_id)).toMatchObject({ values: { messages: ["hi"] }, interrupts: { node: [{ value: 1 }] }, status: "interrupted" });
    // No status: the status stays; values may be set back to JSON null.
    await threads().setState(thread_id, { values: null, interrupts: {} });
    expect(await threads().get(thread_id)).toMatchObject({ values: null, interrupts: {}, status: "interrupted" });
    await expect(threads().setState(randomUUID(), { values: null, interrupts: {} })).rejects.toMatchObject({ statusCode: 404 });
  });

  test("copy makes a new thread of the source's metadata, values and interrupts; a busy source gives an idle copy", async () => {
    const source = await threads().create({ metadata: { owner: "ann" } });
    await threads().setState(source.thread_id, { values: { n: 1 }, interrupts: { x: [1] }, status: "busy" });
    const copyId = randomUUID();
    const copy = await threads().copy(source.thread_id, copyId);
    expect(copy).toEqual({
      thread_id: copyId,
      status: "idle",
      metadata: { owner: "ann" },
      config: {},
      values: { n: 1 },
      interrupts: { x: [1] },
      created_at: expect.stringMatching(ISO_MS_UTC),
      updated_at: copy.created_at,
    });
    expect(await threads().get(copyId)).toEqual(copy);
    await threads().setState(source.thread_id, { values: { n: 2 }, interrupts: {}, status: "interrupted" });
    expect((await threads().copy(source.thread_id, randomUUID())).status).toBe("interrupted");
    await expect(threads().copy(randomUUID(), randomUUID())).rejects.toMatchObject({ statusCode: 404 });
  });

  test("search filters by ids and status and sorts by each allowed column both ways, ties in creation order", async () => {
    const tag = randomUUID();
    const made: Thread[] = [];
    for (const status of ["idle", "busy", "idle", "error"] as ThreadStatus[]) {
      const thread = await threads().create({ metadata: { tag } });
      if (status !== "idle") await threads().setState(thread.thread_id, { values: null, interrupts: {}, status });
      made.push((await threads().get(thread.thread_id))!);
    }
    const newestFirst = threadIds(made).reverse();
    expect(threadIds(await tagged(tag))).toEqual(newestFirst);
    expect(threadIds(await tagged(tag, { sort_by: "created_at", sort_order: "asc" }))).toEqual(threadIds(made));
    expect(threadIds(await tagged(tag, { limit: 2, offset: 1 }))).toEqual(newestFirst.slice(1, 3));
    expect(threadIds(await tagged(tag, { status: "idle" }))).toEqual([made[2].thread_id, made[0].thread_id]);
    expect(threadIds(await tagged(tag, { ids: [made[3].thread_id, made[1].thread_id, randomUUID()] }))).toEqual([made[3].thread_id, made[1].thread_id]);
    expect(await tagged(tag, { ids: [] })).toEqual([]);
    expect(await threads().count({ metadata: { tag }, status: "idle" })).toBe(2);

    // Text by code point, ties in creation order (reversed with the direction).
    const sorted = (column: "thread_id" | "status" | "updated_at", descending: boolean) =>
      made
        .map((thread, index) => ({ key: thread[column], index, id: thread.thread_id }))
        .sort((a, b) => (descending ? -1 : 1) * (a.key < b.key ? -1 : a.key > b.key ? 1 : a.index - b.index))
        .map(({ id }) => id);
    for (const column of ["thread_id", "status", "updated_at"] as const) {
      for (const sort_order of ["asc", "desc"] as const) {
        expect(threadIds(await tagged(tag, { sort_by: column, sort_order }))).toEqual(sorted(column, sort_order === "desc"));
      }
    }
    await expect(tagged(tag, { sort_by: "values" as ThreadSearch["sort_by"] })).rejects.toMatchObject({
      statusCode: 422,
      message: expect.stringMatching(/^sort_by: /),
    });
  });

  test("search and count by metadata and values find exactly the threads that contain the filter", async () => {
    const scalar = fc.constantFrom<Json>(0, 1, 1.5, "1", "x", "", true, false, null);
    const { value } = fc.letrec<{ value: Json }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", maxDepth: 2 },
        scalar,
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom("a", "b"), tie("value"), { maxKeys: 2 }),
      ),
    }));
    const object = fc.dictionary(fc.constantFrom("a", "b", "c"), value, { maxKeys: 3 }) as fc.Arbitrary<JsonObject>;
    /** A filter: made up, or a part of one of the threads' own (so that some match). */
    const filterOf = (documents: JsonObject[]) =>
      fc.oneof(
        object,
        fc.tuple(fc.nat({ max: documents.length - 1 }), fc.subarray(["a", "b", "c"])).map(([index, keys]) =>
          Object.fromEntries(keys.filter((key) => key in documents[index]).map((key) => [key, documents[index][key]])),
        ),
      );
    const scenario = fc
      .array(fc.record({ metadata: object, values: fc.option(object, { nil: null }) }), { minLength: 1, maxLength: 6 })
      .chain((made) =>
        fc.record({
          made: fc.constant(made),
          metadata: fc.option(filterOf(made.map((thread) => thread.metadata)), { nil: undefined }),
          values: fc.option(filterOf(made.map((thread) => thread.values ?? {})), { nil: undefined }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ made, metadata, values }) => {
        const tag = randomUUID();
        const stored: Thread[] = [];
        for (const thread of made) {
          const created = await threads().create({ metadata: { ...thread.metadata, tag } });
          if (thread.values !== null) await threads().setState(created.thread_id, { values: thread.values, interrupts: {} });
          stored.push({ ...created, values: thread.values });
        }
        const expected = stored
          .filter((thread) => containsJson(thread.metadata, { ...metadata, tag }) && (values === undefined || containsJson(thread.values, values)))
          .reverse();
        const query = { metadata: { ...metadata, tag }, ...(values !== undefined ? { values } : {}) };
        expect(threadIds(await threads().search({ limit: 100, offset: 0, ...query }))).toEqual(threadIds(expected));
        expect(await threads().count(query)).toBe(expected.length);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  test.runIf(backend.dialect === "postgres")("metadata PostgreSQL cannot store is a 422 naming the field, and nothing is written", async () => {
    const threadId = randomUUID();
    await expect(threads().create({ thread_id: threadId, metadata: { note: "a\u0000b" } })).rejects.toMatchObject({
      statusCode: 422,
      message: expect.stringMatching(/^metadata: /),
    });
    expect(await threads().get(threadId)).toBeUndefined();
    const { thread_id } = await threads().create({ metadata: { keep: 1 } });
    await expect(threads().patch(thread_id, { metadata: { bad: "\u0000" } })).rejects.toMatchObject({ statusCode: 422 });
    await expect(threads().search({ limit: 1, offset: 0, values: { bad: "\u0000" } })).rejects.toMatchObject({
      statusCode: 422,
      message: expect.stringMatching(/^values: /),
    });
    expect((await threads().get(thread_id))!.metadata).toEqual({ keep: 1 });
  });

  test.runIf(backend.dialect === "postgres")("two processes creating one thread id at once: one creates it, and the other is answered as it asked", async () => {
    const other = await backend.another();
    for (let round = 0; round < 5; round++) {
      const threadId = randomUUID();
      const [first, second] = await Promise.all([
        threads().create({ thread_id: threadId, metadata: { by: 1 }, if_exists: "do_nothing" }),
        other.threads.create({ thread_id: threadId, metadata: { by: 2 }, if_exists: "do_nothing" }),
      ]);
      expect(second).toEqual(first);
      const raced = await Promise.allSettled([threads().create({ thread_id: `${threadId}-r` }), other.threads.create({ thread_id: `${threadId}-r` })]);
      expect(raced.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    }
  });

  test.runIf(backend.dialect === "postgres")("a thread deleted while another process creates a run on it leaves no run behind", async () => {
    const other = await backend.another();
    for (let round = 0; round < 30; round++) {
      const { thread_id } = await threads().create({});
      const created = other.runs.create(runInput({ thread_id, create_thread: false }));
      const [, deleted] = await Promise.allSettled([created, threads().delete(thread_id)]);
      // Whichever went first, the other saw it: the run was deleted with the thread, or refused (404).
      expect(deleted).toEqual({ status: "fulfilled", value: true });
      expect(await backend.storage().runs.findActive({ status: "all", thread_id })).toEqual([]);
    }
  });

  test("concurrent patches of different keys, from two processes, all survive", async () => {
    const other = await secondProcess(backend);
    const { thread_id } = await threads().create({ metadata: {} });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? threads() : other.threads).patch(thread_id, { metadata: { [`k${i}`]: i } })),
    );
    expect((await threads().get(thread_id))!.metadata).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])));
  });
});
