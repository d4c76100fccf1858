import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { databasePath, openDatabase, type SqliteDatabase } from "../../src/storage/sqlite/database.js";
import { LimitedStatement } from "../../src/storage/sqlite/sql.js";
import { WalCheckpointer } from "../../src/storage/sqlite/wal-checkpointer.js";

const dirs: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDatabase(): { db: SqliteDatabase; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-wal-"));
  dirs.push(dir);
  const db = openDatabase(dir);
  cleanups.push(() => void db.close());
  return { db, file: databasePath(dir) };
}

/** About 4 MB of new pages, all of them in the WAL until something checkpoints it. */
function writeMegabytes(db: SqliteDatabase): void {
  db.exec("CREATE TABLE filler (body TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO filler (body) VALUES (?)");
  for (let i = 0; i < 1000; i += 1) db.transaction(() => insert.run(`${i}`.padEnd(4000, "x")))();
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe("WAL checkpoints off the committing thread", () => {
  it("commits leave their pages in the WAL (no checkpoint inside a commit at SQLite's 1,000-page default)", () => {
    const { db, file } = freshDatabase();
    const before = statSync(file).size;
    writeMegabytes(db);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(4_000_000);
    expect(statSync(file).size).toBe(before);
  });

  it("the background thread copies them into the database file while the connection stays open", async () => {
    const { db, file } = freshDatabase();
    writeMegabytes(db);
    const errors: Error[] = [];
    const checkpointer = WalCheckpointer.start([file], (error) => errors.push(error));
    cleanups.push(() => checkpointer.close());
    expect(await until(() => statSync(file).size > 4_000_000)).toBe(true);
    expect(db.prepare("SELECT count(*) AS n FROM filler").get()).toEqual({ n: 1000 });
    expect(errors).toEqual([]);
  });

  it("reports a file it cannot open instead of failing silently", async () => {
    const errors: Error[] = [];
    const checkpointer = WalCheckpointer.start([join(tmpdir(), "hookgraph-no-such-dir", "none.sqlite")], (error) => errors.push(error));
    cleanups.push(() => checkpointer.close());
    expect(await until(() => errors.length > 0)).toBe(true);
  });
});

describe("LimitedStatement", () => {
  it("returns at most `limit` rows for each limit asked, the bound parameters applied", () => {
    const { db } = freshDatabase();
    db.exec("CREATE TABLE numbers (n INTEGER NOT NULL)");
    const insert = db.prepare("INSERT INTO numbers (n) VALUES (?)");
    for (let n = 1; n <= 20; n += 1) insert.run(n);
    const above = new LimitedStatement<[number], { n: number }>(db, "SELECT n FROM numbers WHERE n > ? ORDER BY n");
    expect(above.all(3, 10).map((row) => row.n)).toEqual([11, 12, 13]);
    expect(above.all(1, 15).map((row) => row.n)).toEqual([16]);
    expect(above.all(3, 18).map((row) => row.n)).toEqual([19, 20]);
    expect(above.all(0, 0)).toEqual([]);
  });
});
