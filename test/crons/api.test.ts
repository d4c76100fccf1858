import { describe, expect, test } from "vitest";
import type { Cron } from "@langchain/langgraph-sdk";
import { api, useServer, uuid5, SYSTEM_NAMESPACE } from "../api/support.js";

// Graphs on the main thread (`workers: 0`): crons do not depend on where graphs execute.
const server = useServer({ workers: 0 });

/** New Year at midnight: a schedule that does not fire while these tests run. */
const YEARLY = "0 0 1 1 *";
const ECHO_ID = uuid5("echo", SYSTEM_NAMESPACE);

async function newThread(): Promise<string> {
  return (await server().client.threads.create()).thread_id;
}

/** Hour and minute of an instant on the wall clock of `timeZone`. */
function wallClock(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
}

describe("creating crons", () => {
  test("a stateless cron answers every Cron field, with defaults and the webhook's query masked", async () => {
    const before = Date.now();
    const cron = (await server().client.crons.create("echo", {
      schedule: "*/5 * * * *",
      input: { messages: [{ role: "user", content: "hi" }] },
      metadata: { team: "a" },
      webhook: "http://127.0.0.1:9/hook?token=s3cret&x=1",
    })) as unknown as Cron;
    expect(cron).toMatchObject({
      assistant_id: ECHO_ID,
      thread_id: null,
      on_run_completed: "delete",
      end_time: null,
      schedule: "*/5 * * * *",
      timezone: "UTC",
      user_id: null,
      metadata: { team: "a" },
      enabled: true,
    });
    expect(Object.keys(cron).sort()).toEqual(
      ["assistant_id", "created_at", "cron_id", "enabled", "end_time", "metadata", "next_run_date", "on_run_completed", "payload", "schedule", "thread_id", "timezone", "updated_at", "user_id"],
    );
    expect(cron.payload).toMatchObject({ input: { messages: [{ role: "user", content: "hi" }] }, webhook: "http://127.0.0.1:9/hook?token=***&x=***" });
    expect(JSON.stringify(cron)).not.toContain("s3cret");
    // The next multiple of five minutes, in UTC.
    const next = new Date(cron.next_run_date!);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(5 * 60_000);
    expect(next.getUTCMinutes() % 5).toBe(0);
    expect(next.getUTCSeconds()).toBe(0);
  });

  test("a thread cron names its thread, defaults multitask_strategy to enqueue and has no on_run_completed", async () => {
    const threadId = await newThread();
    const cron = (await server().client.crons.createForThread(threadId, "echo", { schedule: YEARLY, onRunCompleted: "delete" })) as unknown as Cron;
    expect(cron.thread_id).toBe(threadId);
    expect(cron.on_run_completed).toBeNull();
    expect(cron.payload.multitask_strategy).toBe("enqueue");
    const rejecting = (await server().client.crons.createForThread(threadId, "echo", { schedule: YEARLY, multitaskStrategy: "reject" })) as unknown as Cron;
    expect(rejecting.payload.multitask_strategy).toBe("reject");
  });

  test("a six-field schedule has seconds first", async () => {
    const before = Date.now();
    const cron = (await server().client.crons.create("echo", { schedule: "*/10 * * * * *" })) as unknown as Cron;
    const next = new Date(cron.next_run_date!);
    expect(next.getUTCSeconds() % 10).toBe(0);
    expect(next.getTime() - before).toBeLessThanOrEqual(10_000);
  });

  test("next_run_date is computed in the cron's timezone", async () => {
    const utc = (await server().client.crons.create("echo", { schedule: "0 9 * * *" })) as unknown as Cron;
    const newYork = (await server().client.crons.create("echo", { schedule: "0 9 * * *", timezone: "America/New_York" })) as unknown as Cron;
    expect(newYork.timezone).toBe("America/New_York");
    expect(wallClock(utc.next_run_date!, "UTC")).toBe("09:00");
    expect(wallClock(newYork.next_run_date!, "America/New_York")).toBe("09:00");
    // New York is 4 or 5 hours behind UTC: 09:00 there is 13:00 or 14:00 UTC.
    expect(["13:00", "14:00"]).toContain(wallClock(newYork.next_run_date!, "UTC"));
    for (const cron of [utc, newYork]) {
      const wait = new Date(cron.next_run_date!).getTime() - Date.now();
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(24 * 3600_000);
    }

    const tokyo = await server().client.crons.update(newYork.cron_id, { timezone: "Asia/Tokyo" });
    expect(tokyo.timezone).toBe("Asia/Tokyo");
    expect(wallClock(tokyo.next_run_date!, "Asia/Tokyo")).toBe("09:00");
    expect(wallClock(tokyo.next_run_date!, "UTC")).toBe("00:00");
  });

  test("end_time bounds next_run_date; enabled false has none", async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const ending = (await server().client.crons.create("echo", { schedule: YEARLY, endTime: soon })) as unknown as Cron;
    expect(ending.end_time).toBe(soon);
    expect(ending.next_run_date).toBeNull();
    const disabled = (await server().client.crons.create("echo", { schedule: YEARLY, enabled: false })) as unknown as Cron;
    expect(disabled.enabled).toBe(false);
    expect(disabled.next_run_date).toBeNull();
  });

  test("/info reports crons", async () => {
    const info = await api<{ flags: { crons: boolean } }>(server(), "GET", "/info");
    expect(info.body.flags.crons).toBe(true);
  });
});

describe("invalid input is a 422 naming the field", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["schedule out of range", { schedule: "61 * * * *" }, "schedule"],
    ["schedule with four fields", { schedule: "* * * *" }, "schedule"],
    ["schedule with seven fields", { schedule: "* * * * * * *" }, "schedule"],
    ["schedule that never fires", { schedule: "0 0 30 2 *" }, "schedule"],
    ["schedule missing", {}, "schedule"],
    ["unknown timezone", { schedule: YEARLY, timezone: "Mars/Olympus_Mons" }, "timezone"],
    ["end_time in the past", { schedule: YEARLY, end_time: "2020-01-01T00:00:00Z" }, "end_time"],
    ["end_time not a date", { schedule: YEARLY, end_time: "tomorrow" }, "end_time"],
    ["webhook not http", { schedule: YEARLY, webhook: "ftp://127.0.0.1/hook" }, "webhook"],
    ["on_run_completed unknown", { schedule: YEARLY, on_run_completed: "archive" }, "on_run_completed"],
    ["multitask_strategy unknown", { schedule: YEARLY, multitask_strategy: "queue" }, "multitask_strategy"],
  ];
  test.each(cases)("%s", async (_name, fields, field) => {
    const response = await api<{ detail: string }>(server(), "POST", "/runs/crons", { assistant_id: "echo", ...fields });
    expect(response.status).toBe(422);
    expect(response.body.detail).toContain(field);
  });

  test("on the thread endpoint and on PATCH too", async () => {
    const threadId = await newThread();
    const thread = await api<{ detail: string }>(server(), "POST", `/threads/${threadId}/runs/crons`, { assistant_id: "echo", schedule: "* * 99 * *" });
    expect(thread.status).toBe(422);
    expect(thread.body.detail).toContain("schedule");

    const cron = (await server().client.crons.create("echo", { schedule: YEARLY })) as unknown as Cron;
    for (const [fields, field] of [
      [{ schedule: "nope" }, "schedule"],
      [{ timezone: "Nowhere/Land" }, "timezone"],
      [{ end_time: "2001-01-01T00:00:00Z" }, "end_time"],
      [{ webhook: "not a url" }, "webhook"],
      [{ enabled: "sometimes" }, "enabled"],
    ] as const) {
      const response = await api<{ detail: string }>(server(), "PATCH", `/runs/crons/${cron.cron_id}`, fields);
      expect(response.status, JSON.stringify(fields)).toBe(422);
      expect(response.body.detail).toContain(field);
    }
    // Nothing was changed by the refused patches.
    expect((await api<Cron>(server(), "GET", `/runs/crons/${cron.cron_id}`)).body).toEqual(cron);
  });

  test("unknown assistant, thread or cron is a 404", async () => {
    expect((await api(server(), "POST", "/runs/crons", { assistant_id: "no_such_graph", schedule: YEARLY })).status).toBe(404);
    const missingThread = "00000000-0000-4000-8000-000000000000";
    expect((await api(server(), "POST", `/threads/${missingThread}/runs/crons`, { assistant_id: "echo", schedule: YEARLY })).status).toBe(404);
    expect((await api(server(), "GET", `/runs/crons/${missingThread}`)).status).toBe(404);
    expect((await api(server(), "PATCH", `/runs/crons/${missingThread}`, { enabled: false })).status).toBe(404);
    expect((await api(server(), "DELETE", `/runs/crons/${missingThread}`)).status).toBe(404);
  });
});

describe("search, count, get, patch, delete", () => {
  test("search filters, sorts, pages and selects; count agrees", async () => {
    const { client } = server();
    const tag = `search-${Date.now()}`;
    const threadId = await newThread();
    const a = (await client.crons.create("echo", { schedule: YEARLY, metadata: { tag, n: 1 } })) as unknown as Cron;
    const b = (await client.crons.create("two_step", { schedule: YEARLY, metadata: { tag, n: 2 }, enabled: false })) as unknown as Cron;
    const c = (await client.crons.createForThread(threadId, "echo", { schedule: YEARLY, metadata: { tag, n: 3 } })) as unknown as Cron;
    const ids = (crons: Cron[]) => crons.map((cron) => cron.cron_id);

    expect(ids(await client.crons.search({ metadata: { tag } }))).toEqual([c.cron_id, b.cron_id, a.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag }, sortBy: "created_at", sortOrder: "asc" }))).toEqual([a.cron_id, b.cron_id, c.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag }, sortOrder: "asc", limit: 1, offset: 1 }))).toEqual([b.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag, n: 2 } }))).toEqual([b.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag }, assistantId: "echo" }))).toEqual([c.cron_id, a.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag }, assistantId: ECHO_ID }))).toEqual([c.cron_id, a.cron_id]);
    expect(ids(await client.crons.search({ threadId }))).toEqual([c.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag }, enabled: false }))).toEqual([b.cron_id]);
    expect(ids(await client.crons.search({ metadata: { tag }, enabled: true }))).toEqual([c.cron_id, a.cron_id]);

    expect(await client.crons.count({ metadata: { tag } })).toBe(3);
    expect(await client.crons.count({ metadata: { tag }, assistantId: "two_step" })).toBe(1);
    expect(await client.crons.count({ threadId })).toBe(1);

    const selected = await client.crons.search({ metadata: { tag }, select: ["cron_id", "schedule", "now"], limit: 1 });
    expect(Object.keys(selected[0]).sort()).toEqual(["cron_id", "now", "schedule"]);
    expect(Math.abs(Date.parse((selected[0] as unknown as { now: string }).now) - Date.now())).toBeLessThan(5_000);

    const badSort = await api<{ detail: string }>(server(), "POST", "/runs/crons/search", { sort_by: "schedule" });
    expect(badSort.status).toBe(422);
    expect(badSort.body.detail).toContain("sort_by");
  });

  test("get and patch: payload fields replace, metadata merges, webhook stays masked", async () => {
    const { client } = server();
    const cron = (await client.crons.create("echo", { schedule: YEARLY, input: { a: 1 }, metadata: { keep: true, x: 1 } })) as unknown as Cron;
    const got = await api<Cron>(server(), "GET", `/runs/crons/${cron.cron_id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(cron);

    const patched = await client.crons.update(cron.cron_id, {
      schedule: "*/15 * * * *",
      input: { b: 2 },
      metadata: { x: 2 },
      webhook: "http://127.0.0.1:9/hook?key=hidden",
      onRunCompleted: "keep",
    });
    expect(patched).toMatchObject({
      cron_id: cron.cron_id,
      schedule: "*/15 * * * *",
      on_run_completed: "keep",
      metadata: { keep: true, x: 2 },
      payload: { input: { b: 2 }, webhook: "http://127.0.0.1:9/hook?key=***" },
    });
    expect(new Date(patched.next_run_date!).getUTCMinutes() % 15).toBe(0);
    expect(Date.parse(patched.updated_at)).toBeGreaterThanOrEqual(Date.parse(cron.updated_at));
    expect(JSON.stringify(await client.crons.search({ metadata: { keep: true } }))).not.toContain("hidden");

    // Clearing: end_time and webhook null.
    const ended = await client.crons.update(cron.cron_id, { endTime: new Date(Date.now() + 3600_000).toISOString() });
    expect(ended.end_time).not.toBeNull();
    const cleared = await api<Cron>(server(), "PATCH", `/runs/crons/${cron.cron_id}`, { end_time: null, webhook: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.end_time).toBeNull();
    expect(cleared.body.payload).not.toHaveProperty("webhook");
    expect(cleared.body.next_run_date).not.toBeNull();

    // Disabling drops next_run_date; enabling computes it again.
    expect((await client.crons.update(cron.cron_id, { enabled: false })).next_run_date).toBeNull();
    expect((await client.crons.update(cron.cron_id, { enabled: true })).next_run_date).toBe(patched.next_run_date);
  });

  test("delete removes the cron; deleting its thread removes a thread cron", async () => {
    const { client } = server();
    const cron = (await client.crons.create("echo", { schedule: YEARLY })) as unknown as Cron;
    await client.crons.delete(cron.cron_id);
    expect((await api(server(), "GET", `/runs/crons/${cron.cron_id}`)).status).toBe(404);
    expect((await api(server(), "DELETE", `/runs/crons/${cron.cron_id}`)).status).toBe(404);

    const threadId = await newThread();
    const threadCron = (await client.crons.createForThread(threadId, "echo", { schedule: YEARLY })) as unknown as Cron;
    await client.threads.delete(threadId);
    expect((await api(server(), "GET", `/runs/crons/${threadCron.cron_id}`)).status).toBe(404);
  });
});
