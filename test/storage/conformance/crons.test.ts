import { randomUUID } from "node:crypto";
import { afterEach, beforeAll, expect, test, vi } from "vitest";
import { HookgraphError } from "../../../src/errors.js";
import type { Cron, CronCreate, CronSearch, Storage } from "../../../src/storage/storage.js";
import { systemAssistantId } from "../../../src/storage/system-assistant.js";
import { describeStorage } from "./backends.js";

const ECHO = systemAssistantId("echo");

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

const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

/** A cron as the cron service would store it; each test tags its own in `metadata`. */
function cronInput(tag: string, fields: Partial<CronCreate> = {}): CronCreate {
  return {
    cron_id: randomUUID(),
    assistant_id: ECHO,
    thread_id: null,
    on_run_completed: "delete",
    end_time: null,
    schedule: "*/5 * * * *",
    timezone: "UTC",
    payload: { input: { n: 1 }, webhook: "http://127.0.0.1:9/hook" },
    next_run_date: at(60_000),
    enabled: true,
    ...fields,
    metadata: { tag, ...fields.metadata },
  };
}

describeStorage("crons", (backend) => {
  const crons = () => backend.storage().crons;
  const tagged = (tag: string, query: Partial<CronSearch> = {}) =>
    crons().search({ limit: 100, offset: 0, ...query, metadata: { tag, ...query.metadata } });
  beforeAll(async () => {
    await backend.storage().assistants.ensureSystem(["echo"]);
  });

  test("create stores the cron as given, with its times as ISO text; get reads it back", async () => {
    const tag = randomUUID();
    const thread = await backend.storage().threads.create({});
    const input = cronInput(tag, {
      thread_id: thread.thread_id,
      on_run_completed: null,
      end_time: "2099-01-02T03:04:05.006Z",
      timezone: "Europe/Paris",
      payload: { input: { nested: [1, { two: null }] }, multitask_strategy: "enqueue" },
      next_run_date: "2098-07-08T09:10:00.000Z",
      enabled: false,
    });
    const created = await crons().create(input);
    expect(created).toEqual({ ...input, user_id: null, created_at: expect.any(String), updated_at: created.created_at });
    expect(new Date(created.created_at).toISOString()).toBe(created.created_at);
    expect(await crons().get(input.cron_id)).toEqual(created);
    expect(await crons().get(randomUUID())).toBeUndefined();
  });

  test("a cron naming an unknown thread or assistant is a 404 naming it, and is not stored", async () => {
    const tag = randomUUID();
    const missingThread = randomUUID();
    const noThread = await failure(crons().create(cronInput(tag, { thread_id: missingThread, on_run_completed: null })));
    expect(noThread.statusCode).toBe(404);
    expect(noThread.message).toContain(`thread ${missingThread}`);
    const missingAssistant = randomUUID();
    const noAssistant = await failure(crons().create(cronInput(tag, { assistant_id: missingAssistant })));
    expect(noAssistant.statusCode).toBe(404);
    expect(noAssistant.message).toContain(`assistant ${missingAssistant}`);
    expect(await crons().count({ metadata: { tag } })).toBe(0);
  });

  test("update replaces the given fields, keeps the rest, and moves updated_at", async () => {
    const tag = randomUUID();
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2021-01-01T00:00:00.000Z") });
    const created = await crons().create(cronInput(tag));
    vi.useRealTimers();
    const updated = await crons().update(created.cron_id, {
      schedule: "0 * * * *",
      enabled: false,
      next_run_date: null,
      payload: { input: { n: 2 } },
      metadata: { tag, more: true },
      end_time: undefined,
    });
    expect(updated).toEqual({
      ...created,
      schedule: "0 * * * *",
      enabled: false,
      next_run_date: null,
      payload: { input: { n: 2 } },
      metadata: { tag, more: true },
      updated_at: expect.any(String),
    });
    expect(Date.parse(updated.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect(await crons().get(created.cron_id)).toEqual(updated);
    const missing = randomUUID();
    const error = await failure(crons().update(missing, { enabled: true }));
    expect(error.statusCode).toBe(404);
    expect(error.message).toContain(missing);
  });

  test("listeners hear of each committed create, update and delete, until they unsubscribe", async () => {
    const tag = randomUUID();
    const cronId = randomUUID();
    // A read the listener starts finds the change: it is called once the write committed.
    let read: Promise<Cron | undefined> | undefined;
    let calls = 0;
    const unsubscribe = crons().onChange(() => {
      calls += 1;
      read = crons().get(cronId);
    });
    await crons().create(cronInput(tag, { cron_id: cronId }));
    expect(await read).toMatchObject({ cron_id: cronId, enabled: true });
    await crons().update(cronId, { enabled: false });
    expect(await read).toMatchObject({ cron_id: cronId, enabled: false });
    await failure(crons().create(cronInput(tag, { thread_id: randomUUID(), on_run_completed: null })));
    await failure(crons().update(randomUUID(), { enabled: false }));
    expect(await crons().delete(randomUUID())).toBe(false);
    expect(calls).toBe(2);
    expect(await crons().delete(cronId)).toBe(true);
    expect(calls).toBe(3);
    expect(await read).toBeUndefined();
    unsubscribe();
    await crons().create(cronInput(tag));
    expect(calls).toBe(3);
  });

  test("search and count filter by assistant, thread, enabled and metadata", async () => {
    const tag = randomUUID();
    const other = await backend.storage().assistants.create({ graph_id: "echo" });
    const thread = await backend.storage().threads.create({});
    const a = await crons().create(cronInput(tag, { metadata: { team: { name: "a" } } }));
    const b = await crons().create(cronInput(tag, { assistant_id: other.assistant_id, enabled: false, next_run_date: null }));
    const c = await crons().create(cronInput(tag, { thread_id: thread.thread_id, on_run_completed: null, metadata: { labels: ["x"] } }));
    const ids = async (query: Partial<CronSearch>) => (await tagged(tag, query)).map((cron) => cron.cron_id).sort();

    expect(await ids({})).toEqual([a.cron_id, b.cron_id, c.cron_id].sort());
    expect(await ids({ assistant_id: ECHO })).toEqual([a.cron_id, c.cron_id].sort());
    expect(await ids({ assistant_id: other.assistant_id })).toEqual([b.cron_id]);
    expect(await ids({ thread_id: thread.thread_id })).toEqual([c.cron_id]);
    expect(await ids({ enabled: false })).toEqual([b.cron_id]);
    expect(await ids({ enabled: true, metadata: { team: { name: "a" } } })).toEqual([a.cron_id]);
    expect(await ids({ metadata: { labels: ["x"] } })).toEqual([c.cron_id]);
    expect(await ids({ metadata: { team: "a" } })).toEqual([]);
    expect(await crons().count({ metadata: { tag } })).toBe(3);
    expect(await crons().count({ metadata: { tag }, enabled: true, assistant_id: ECHO })).toBe(2);
  });

  test("search sorts by any allowed column, nulls first ascending, ties in creation order; pages by offset", async () => {
    const tag = randomUUID();
    const thread = await backend.storage().threads.create({ thread_id: `T-${randomUUID()}` });
    const lower = await backend.storage().threads.create({ thread_id: `t-${randomUUID()}` });
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2021-05-06T07:08:09.010Z") });
    const made = [
      await crons().create(cronInput(tag, { next_run_date: "2099-01-01T00:00:02.000Z" })),
      await crons().create(cronInput(tag, { next_run_date: null, enabled: false, thread_id: lower.thread_id, on_run_completed: null })),
      await crons().create(cronInput(tag, { next_run_date: "2099-01-01T00:00:01.000Z", thread_id: thread.thread_id, on_run_completed: null })),
      await crons().create(cronInput(tag, { next_run_date: "2099-01-01T00:00:02.000Z", end_time: "2099-06-01T00:00:00.000Z" })),
    ];
    vi.useRealTimers();
    const order = async (query: Partial<CronSearch>) => (await tagged(tag, query)).map((cron) => made.findIndex((m) => m.cron_id === cron.cron_id));

    expect(await order({})).toEqual([3, 2, 1, 0]);
    expect(await order({ sort_by: "created_at", sort_order: "asc" })).toEqual([0, 1, 2, 3]);
    expect(await order({ sort_by: "next_run_date", sort_order: "asc" })).toEqual([1, 2, 0, 3]);
    expect(await order({ sort_by: "next_run_date", sort_order: "desc" })).toEqual([3, 0, 2, 1]);
    // "T-..." before "t-...": by code point, whatever the database's collation.
    expect(await order({ sort_by: "thread_id", sort_order: "asc" })).toEqual([0, 3, 2, 1]);
    expect(await order({ sort_by: "end_time", sort_order: "desc" })).toEqual([3, 2, 1, 0]);
    expect(await order({ sort_by: "cron_id", sort_order: "asc" })).toEqual(
      [...made].sort((x, y) => (x.cron_id < y.cron_id ? -1 : 1)).map((cron) => made.indexOf(cron)),
    );
    expect(await order({ sort_by: "next_run_date", sort_order: "asc", limit: 2, offset: 1 })).toEqual([2, 0]);

    const error = await failure(tagged(tag, { sort_by: "schedule" as CronSearch["sort_by"] }));
    expect(error.statusCode).toBe(422);
    expect(error.message).toContain("sort_by");
  });

  test("a cron goes with its thread and with its assistant", async () => {
    const tag = randomUUID();
    const assistant = await backend.storage().assistants.create({ graph_id: "echo" });
    const thread = await backend.storage().threads.create({});
    const onThread = await crons().create(cronInput(tag, { thread_id: thread.thread_id, on_run_completed: null }));
    const ofAssistant = await crons().create(cronInput(tag, { assistant_id: assistant.assistant_id }));
    await backend.storage().threads.delete(thread.thread_id);
    expect(await crons().get(onThread.cron_id)).toBeUndefined();
    await backend.storage().assistants.delete(assistant.assistant_id);
    expect(await crons().get(ofAssistant.cron_id)).toBeUndefined();
  });
});

// Due times and claims look at every cron of the database: these tests have a database each.
describeStorage("crons: firing", (backend) => {
  const crons = () => backend.storage().crons;
  beforeAll(async () => {
    await backend.storage().assistants.ensureSystem(["echo"]);
  });

  test("due lists enabled crons due by then, earliest first; nextDue is the earliest enabled; claim moves a due time once", async () => {
    const tag = randomUUID();
    expect(await crons().nextDue()).toBeUndefined();
    const late = await crons().create(cronInput(tag, { next_run_date: at(-1_000) }));
    const early = await crons().create(cronInput(tag, { next_run_date: at(-5_000) }));
    await crons().create(cronInput(tag, { next_run_date: at(-9_000), enabled: false }));
    const future = await crons().create(cronInput(tag, { next_run_date: at(60_000) }));
    await crons().create(cronInput(tag, { next_run_date: null, enabled: false }));

    expect((await crons().due(new Date(), 10)).map((cron) => cron.cron_id)).toEqual([early.cron_id, late.cron_id]);
    expect((await crons().due(new Date(), 1)).map((cron) => cron.cron_id)).toEqual([early.cron_id]);
    expect((await crons().due(new Date(Date.parse(early.next_run_date!)), 10)).map((cron) => cron.cron_id)).toEqual([early.cron_id]);
    expect((await crons().nextDue())?.toISOString()).toBe(early.next_run_date);

    const next = at(120_000);
    expect(await crons().claim(early.cron_id, early.next_run_date!, next)).toBe(true);
    expect(await crons().claim(early.cron_id, early.next_run_date!, at(180_000))).toBe(false);
    expect((await crons().get(early.cron_id))!.next_run_date).toBe(next);
    expect((await crons().nextDue())?.toISOString()).toBe(late.next_run_date);
    // The last firing: nothing after it.
    expect(await crons().claim(late.cron_id, late.next_run_date!, null)).toBe(true);
    expect((await crons().get(late.cron_id))!.next_run_date).toBeNull();
    // A disabled cron cannot be claimed, whatever was read before.
    await crons().update(future.cron_id, { enabled: false });
    expect(await crons().claim(future.cron_id, future.next_run_date!, next)).toBe(false);
    expect(await crons().claim(randomUUID(), future.next_run_date!, next)).toBe(false);
    expect((await crons().nextDue())?.toISOString()).toBe(next);
    expect(await crons().due(new Date(), 10)).toEqual([]);
  });

  test.runIf(backend.dialect === "postgres")("schedulers in several processes claiming one due time: exactly one wins", async () => {
    const storages: Storage[] = [backend.storage(), await backend.another(), await backend.another()];
    const cron = await crons().create(cronInput(randomUUID(), { next_run_date: at(-1_000) }));
    for (let round = 0; round < 3; round += 1) {
      const seen = (await crons().get(cron.cron_id))!.next_run_date!;
      const next = new Date(Date.parse(seen) + 1_000).toISOString();
      const claims = await Promise.all(storages.flatMap((storage) => [0, 1, 2, 3].map(() => storage.crons.claim(cron.cron_id, seen, next))));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await crons().get(cron.cron_id))!.next_run_date).toBe(next);
    }
  });

  test.runIf(backend.dialect === "postgres")("an update racing a claim does not undo it", async () => {
    const other = await backend.another();
    for (let round = 0; round < 5; round += 1) {
      const cron = await crons().create(cronInput(randomUUID(), { next_run_date: at(-1_000) }));
      const next = at(60_000);
      const [claimed] = await Promise.all([
        other.crons.claim(cron.cron_id, cron.next_run_date!, next),
        crons().update(cron.cron_id, { metadata: { touched: true } }),
      ]);
      expect(claimed).toBe(true);
      expect(await crons().get(cron.cron_id)).toMatchObject({ next_run_date: next, metadata: { touched: true } });
    }
  });

  test.runIf(backend.dialect === "postgres")("a run field PostgreSQL cannot store is a 422 naming it, and nothing is stored", async () => {
    const tag = randomUUID();
    const input = cronInput(tag, { payload: { input: { text: "a\u0000b" } } });
    const error = await failure(crons().create(input));
    expect(error.statusCode).toBe(422);
    expect(error.message).toMatch(/^input:/);
    expect(await crons().get(input.cron_id)).toBeUndefined();
    const stored = await crons().create(cronInput(tag));
    expect((await failure(crons().update(stored.cron_id, { metadata: { bad: "\ud800" } }))).message).toMatch(/^metadata:/);
    expect(await crons().get(stored.cron_id)).toEqual(stored);
  });
});
