import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/storage/sqlite/migrations.js";
import { openSqliteStorage, type SqliteStorage } from "../../src/storage/sqlite/index.js";
import type { FinishedAttempt } from "../../src/storage/storage.js";

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

const claim = (storage: SqliteStorage, now = at(1000), finished: FinishedAttempt[] = []) =>
  storage.deliveries.claimDue({ finished, limit: 100, now, lease: { owner: "test:1:sqlite", leaseMs: 60_000 }, perOrigin: 100, busy: new Map() });

// What both dialects do is tested in test/storage/conformance/deliveries.test.ts; this file keeps what
// only the embedded database does: leases held in the owning process's memory, and its migrations.

describe("SqliteDeliveries: leases in the owner's memory", () => {
  it("a restart finds every claimed delivery due at once: the leases died with the process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookgraph-deliveries-"));
    const first = open(dir);
    const id = insert(first, "http://a.test/");
    expect((await claim(first)).map((d) => d.delivery_id)).toEqual([id]);
    expect(await claim(first)).toEqual([]);
    await first.close();

    const second = open(dir);
    expect((await claim(second)).map((d) => d.delivery_id)).toEqual([id]);
  });

  it("releaseLeases() at start-up serves a redelivery asked for during a dead owner's attempt once, at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hookgraph-deliveries-"));
    const first = open(dir);
    const id = insert(first, "http://a.test/");
    await claim(first);
    expect(await first.deliveries.redeliver(id)).toBe(true);
    await first.close();

    const second = open(dir);
    await second.deliveries.releaseLeases();
    const now = new Date();
    const [manual] = await claim(second, now);
    expect(manual).toMatchObject({ delivery_id: id, manual_requested: true });
    const attempt = { attempt: 1, trigger: "manual" as const, started_at: now.toISOString(), duration_ms: 1, status_code: 200, error: null, response_excerpt: null };
    await claim(second, now, [{ delivery_id: id, lease_id: manual.lease_id, attempt, next: { status: "succeeded" } }]);
    expect(await second.deliveries.get(id)).toMatchObject({ status: "succeeded", manual_requested: false, attempt_count: 1 });
    expect(await claim(second, new Date(Date.now() + 60_000))).toEqual([]);
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
    const [claimed] = await claim(storage, new Date());
    expect(claimed).toMatchObject({ delivery_id: "d1", origin: "http://old.test/h", automatic_attempts: 1, attempt_count: 2 });
  });
});
