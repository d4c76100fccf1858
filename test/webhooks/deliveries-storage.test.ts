import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/storage/sqlite/migrations.js";
import { openSqliteStorage, type SqliteStorage } from "../../src/storage/sqlite/index.js";
import type { FinishedAttempt } from "../../src/storage/storage.js";
import type { DeliveryAttempt } from "../../src/storage/types.js";

const opened: Array<{ storage?: SqliteStorage; dir: string }> = [];
afterEach(async () => {
  for (const { storage, dir } of opened.splice(0)) {
    await storage?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function open(dir = mkdtempSync(join(tmpdir(), "hookgraph-deliveries-"))): SqliteStorage {
  const storage = openSqliteStorage(dir);
  opened.push({ storage, dir });
  return storage;
}

const T0 = new Date("2026-05-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

function insert(storage: SqliteStorage, url: string, when = T0): string {
  return storage.deliveries.insertSync({ run_id: crypto.randomUUID(), thread_id: null, url, payload: { status: "success" } }, when);
}

function attempt(n: number, trigger: "automatic" | "manual" = "automatic"): DeliveryAttempt {
  return { attempt: n, trigger, started_at: T0.toISOString(), duration_ms: 1, status_code: 503, error: "HTTP 503", response_excerpt: "" };
}

const claim = (
  storage: SqliteStorage,
  opts: { limit?: number; now?: Date; perOrigin?: number; busy?: Map<string, number>; finished?: FinishedAttempt[] } = {},
) =>
  storage.deliveries.claimDue({
    finished: opts.finished ?? [],
    limit: opts.limit ?? 100,
    now: opts.now ?? at(1000),
    leaseUntil: at(60_000),
    perOrigin: opts.perOrigin ?? 100,
    busy: opts.busy ?? new Map(),
  });

/** Records one finished attempt (claims nothing). */
const record = (storage: SqliteStorage, delivery_id: string, attempt: DeliveryAttempt, next: FinishedAttempt["next"]) =>
  claim(storage, { limit: 0, now: new Date(), finished: [{ delivery_id, attempt, next }] });

/** A claim at the real current time (recorded redeliveries are due "now"). */
const claimNow = (storage: SqliteStorage, finished: FinishedAttempt[] = []) =>
  storage.deliveries.claimDue({ finished, limit: 1, now: new Date(), leaseUntil: new Date(Date.now() + 60_000), perOrigin: 10, busy: new Map() });

describe("SqliteDeliveries: claims", () => {
  it("claims due deliveries oldest first and leases them: a second claim gets none of them", async () => {
    const storage = open();
    const a = insert(storage, "http://a.test/1", at(0));
    const b = insert(storage, "http://b.test/1", at(10));
    const c = insert(storage, "http://c.test/1", at(5000)); // not due yet
    const first = await claim(storage);
    expect(first.map((d) => d.delivery_id)).toEqual([a, b]);
    expect(first[0]).toMatchObject({ origin: "http://a.test", automatic_attempts: 0, manual_requested: false });
    expect(await claim(storage)).toEqual([]);
    // Leased rows are due again only when the lease ends.
    expect((await claim(storage, { now: at(59_000) })).map((d) => d.delivery_id)).toEqual([c]);
    expect((await claim(storage, { now: at(60_000) })).map((d) => d.delivery_id).sort()).toEqual([a, b, c].sort());
  });

  it("takes at most perOrigin per origin, counting those already in flight, and skips busy origins", async () => {
    const storage = open();
    const slow = Array.from({ length: 5 }, (_, i) => insert(storage, `http://slow.test/${i}`, at(i)));
    const fast = [insert(storage, "http://fast.test/1", at(10)), insert(storage, "HTTP://FAST.test:80/2", at(11))];
    const claimed = await claim(storage, { perOrigin: 2, busy: new Map([["http://slow.test", 1]]) });
    expect(claimed.map((d) => d.delivery_id)).toEqual([slow[0], ...fast]);
    expect(await claim(storage, { perOrigin: 2, busy: new Map([["http://slow.test", 2]]) })).toEqual([]);
    expect((await claim(storage, { perOrigin: 2 })).map((d) => d.delivery_id)).toEqual(slow.slice(1, 3));
  });

  it("respects the limit across origins", async () => {
    const storage = open();
    for (let i = 0; i < 6; i++) insert(storage, `http://o${i % 3}.test/`, at(i));
    expect(await claim(storage, { limit: 4, perOrigin: 1 })).toHaveLength(3);
    expect(await claim(storage, { limit: 2, perOrigin: 5 })).toHaveLength(2);
  });

  it("nextDue answers the earliest due time after now, ignoring deliveries already due", async () => {
    const storage = open();
    insert(storage, "http://a.test/", at(0));
    insert(storage, "http://b.test/", at(7000));
    expect(await storage.deliveries.nextDue(at(1000))).toEqual(at(7000));
    expect(await storage.deliveries.nextDue(at(8000))).toBeUndefined();
  });
});

describe("SqliteDeliveries: attempts, leases and redelivery", () => {
  it("records attempts, counts automatic ones, and schedules or ends the delivery", async () => {
    const storage = open();
    const id = insert(storage, "http://a.test/");
    await claim(storage);
    await record(storage, id, attempt(1), { status: "pending", next_attempt_at: at(5000) });
    const [delivery] = await claim(storage, { now: at(5000) });
    expect(delivery).toMatchObject({ attempt_count: 1, automatic_attempts: 1, next_attempt_at: at(5000).toISOString() });
    await storage.deliveries.recordAttempt(id, attempt(2), { status: "failed" });
    const stored = await storage.deliveries.get(id);
    expect(stored).toMatchObject({ status: "failed", attempt_count: 2, automatic_attempts: 2, next_attempt_at: null });
    expect(stored!.attempts.map((a) => a.attempt)).toEqual([1, 2]);
    expect(stored).not.toHaveProperty("origin");
  });

  it("records the finished attempts and claims in one call", async () => {
    const storage = open();
    const first = insert(storage, "http://a.test/1", at(0));
    const second = insert(storage, "http://a.test/2", at(1));
    await claim(storage, { limit: 1 });
    const claimed = await claim(storage, {
      finished: [{ delivery_id: first, attempt: { ...attempt(1), status_code: 200, error: null }, next: { status: "succeeded" } }],
    });
    expect(claimed.map((d) => d.delivery_id)).toEqual([second]);
    expect(await storage.deliveries.get(first)).toMatchObject({ status: "succeeded", attempt_count: 1 });
  });

  it("a redelivery of a finished delivery makes it due now as a manual attempt", async () => {
    const storage = open();
    const id = insert(storage, "http://a.test/");
    await claim(storage);
    await record(storage, id, attempt(1), { status: "failed" });
    expect(await storage.deliveries.redeliver(id)).toBe(true);
    const [again] = await claimNow(storage);
    expect(again).toMatchObject({ delivery_id: id, manual_requested: true, status: "pending" });
    await record(storage, id, { ...attempt(2, "manual"), status_code: 200, error: null }, { status: "succeeded" });
    expect(await storage.deliveries.get(id)).toMatchObject({ status: "succeeded", manual_requested: false, automatic_attempts: 1 });
    expect(await storage.deliveries.redeliver(crypto.randomUUID())).toBe(false);
  });

  it("a redelivery asked for during an attempt is kept and made right after it", async () => {
    const storage = open();
    const id = insert(storage, "http://a.test/");
    await claimNow(storage);
    expect(await storage.deliveries.redeliver(id)).toBe(true);
    // Still leased: not claimable while the attempt runs.
    expect(await claimNow(storage)).toEqual([]);
    // Recording the attempt makes it due at once: the same claim takes it again, as a manual attempt.
    const [next] = await claimNow(storage, [{ delivery_id: id, attempt: { ...attempt(1), status_code: 200, error: null }, next: { status: "succeeded" } }]);
    expect(next).toMatchObject({ delivery_id: id, manual_requested: true, attempt_count: 1, status: "pending" });
  });

  it("releaseAllLeases makes leased deliveries due at once (a restart after a crash)", async () => {
    const storage = open();
    const id = insert(storage, "http://a.test/");
    await claim(storage);
    await storage.deliveries.releaseAllLeases();
    const [again] = await claimNow(storage);
    expect(again?.delivery_id).toBe(id);
  });

  it("list is newest first and filters", async () => {
    const storage = open();
    const first = insert(storage, "http://a.test/");
    const second = insert(storage, "http://b.test/");
    expect((await storage.deliveries.list({ limit: 10, offset: 0 })).map((d) => d.delivery_id)).toEqual([second, first]);
    expect(await storage.deliveries.list({ limit: 10, offset: 0, status: "failed" })).toEqual([]);
  });
});

describe("migration 2 on a database created before it", () => {
  it("backfills origin and automatic_attempts, and the upgraded rows are claimable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookgraph-migrate-"));
    opened.push({ dir });
    const db = new Database(join(dir, "hookgraph.sqlite"));
    db.exec("CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    db.exec(MIGRATIONS[0].sql);
    db.prepare("INSERT INTO schema_migrations VALUES (1, 'initial', ?)").run(T0.toISOString());
    db.prepare(
      `INSERT INTO webhook_deliveries (delivery_id, run_id, thread_id, url, payload, status, attempt_count, next_attempt_at, created_at, updated_at)
       VALUES ('d1', 'r1', NULL, 'http://old.test/h', '{}', 'pending', 2, ?, ?, ?)`,
    ).run(T0.toISOString(), T0.toISOString(), T0.toISOString());
    const insertAttempt = db.prepare("INSERT INTO webhook_attempts VALUES ('d1', ?, ?, ?, 1, 503, 'HTTP 503', '')");
    insertAttempt.run(1, "automatic", T0.toISOString());
    insertAttempt.run(2, "manual", T0.toISOString());
    db.close();

    const storage = open(dir);
    const [claimed] = await claim(storage);
    expect(claimed).toMatchObject({ delivery_id: "d1", origin: "http://old.test/h", automatic_attempts: 1, attempt_count: 2 });
  });
});
