import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { databasePath } from "../../src/storage/sqlite/database.js";
import { MIGRATIONS } from "../../src/storage/sqlite/migrations.js";
import { openSqliteStorage, type SqliteStorage } from "../../src/storage/sqlite/index.js";
import type { RunStatus } from "../../src/storage/types.js";

const LEASE = { owner: "test:1:counts", leaseMs: 60_000 };
const dirs: string[] = [];
const opened: SqliteStorage[] = [];
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-counts-"));
  dirs.push(dir);
  return dir;
}

function open(dir = dataDir()): SqliteStorage {
  const storage = openSqliteStorage(dir);
  opened.push(storage);
  return storage;
}

async function createRun(storage: SqliteStorage, assistantId: string, threadId = randomUUID(), stateless = false) {
  const { run } = await storage.runs.create({
    run_id: randomUUID(),
    thread_id: threadId,
    assistant_id: assistantId,
    metadata: {},
    kwargs: { input: {} },
    multitask_strategy: "enqueue",
    stateless,
    on_completion: stateless ? "delete" : null,
    create_thread: true,
    thread_metadata: {},
  });
  return run;
}

/** What a scan of the runs table says, in countByStatus's shape. */
function scanned(storage: SqliteStorage, where = "", ...params: string[]): Record<string, number> {
  const rows = storage.db
    .prepare(`SELECT status, count(*) AS total FROM runs ${where} GROUP BY status`)
    .all(...params) as { status: RunStatus; total: number }[];
  const counts: Record<string, number> = { pending: 0, running: 0, success: 0, error: 0, timeout: 0, interrupted: 0 };
  for (const row of rows) counts[row.status] = row.total;
  return counts;
}

describe("run counts by status (kept by triggers)", () => {
  it("match a scan of the runs table through create, claim, finish, cancel and deletes", async () => {
    const storage = open();
    const expectCounts = async () => {
      expect(await storage.runBrowser.countByStatus({})).toEqual(scanned(storage));
      expect(await storage.runBrowser.countByStatus({ assistant_id: "a1" })).toEqual(scanned(storage, "WHERE assistant_id = ?", "a1"));
    };
    const shared = randomUUID();
    for (let i = 0; i < 6; i += 1) await createRun(storage, i % 2 === 0 ? "a1" : "a2");
    const queued = await createRun(storage, "a1", shared);
    await createRun(storage, "a2", shared);
    const stateless = await createRun(storage, "a1", undefined, true);
    await expectCounts();
    expect((await storage.runBrowser.countByStatus({})).pending).toBe(9);

    const claimed = await storage.runs.claim(4, new Date(), LEASE);
    await expectCounts();
    await storage.runs.finish(claimed[0].run_id, { status: "success", thread: { status: "idle", values: {} } });
    await storage.runs.finish(claimed[1].run_id, { status: "error", thread: { status: "error" } });
    await expectCounts();

    const pendingLeft = (await storage.runs.findActive({ status: "pending" })).filter((id) => id !== queued.run_id);
    await storage.runs.cancelPending(pendingLeft[0], "interrupt");
    await expectCounts();

    const more = await storage.runs.claim(10, new Date(), LEASE);
    // Each run but the second on the shared thread has a thread of its own: by now all are claimed.
    expect([...claimed, ...more].map((run) => run.run_id)).toContain(stateless.run_id);
    await storage.runs.finish(stateless.run_id, { status: "success", delete_thread: true });
    await expectCounts();
    await storage.threads.delete(shared);
    await expectCounts();
    expect(Object.values(await storage.runBrowser.countByStatus({})).reduce((a, b) => a + b, 0)).toBe(
      (storage.db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n,
    );
  });

  it("one thread's counts come from that thread's runs only", async () => {
    const storage = open();
    const thread = randomUUID();
    await createRun(storage, "a1", thread);
    await createRun(storage, "a2", thread);
    await createRun(storage, "a1");
    expect((await storage.runBrowser.countByStatus({ thread_id: thread })).pending).toBe(2);
    expect((await storage.runBrowser.countByStatus({ thread_id: thread, assistant_id: "a2" })).pending).toBe(1);
  });

  it("a database from before the counts gets them from its existing runs when it is migrated", async () => {
    const dir = dataDir();
    const db = new Database(databasePath(dir));
    db.exec("CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    for (const migration of MIGRATIONS.filter((m) => m.id < 4)) {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?, ?)").run(migration.id, migration.name, new Date().toISOString());
    }
    const insert = db.prepare(
      `INSERT INTO runs (run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, stateless, available_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, '{}', '{}', 'enqueue', 0, '', '', '')`,
    );
    for (const [assistant, status] of [["a1", "success"], ["a1", "success"], ["a2", "error"], ["a1", "pending"]]) {
      insert.run(randomUUID(), randomUUID(), assistant, status);
    }
    db.close();
    const storage = open(dir);
    expect(await storage.runBrowser.countByStatus({})).toEqual(scanned(storage));
    expect(await storage.runBrowser.countByStatus({ assistant_id: "a1" })).toMatchObject({ success: 2, pending: 1, error: 0 });
  });
});
