import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MIGRATIONS } from "./migrations.js";
import { deferCheckpoints } from "./wal-checkpointer.js";
import { transaction } from "./transaction.js";

export type SqliteDatabase = Database.Database;

/** The embedded database's file in the data directory (the graph workers open it for the store). */
export function databasePath(dataDir: string): string {
  return join(dataDir, "hookgraph.sqlite");
}

/**
 * Opens (creating if needed) the embedded database in `dataDir` and applies pending migrations.
 * WAL with synchronous=NORMAL: a committed transaction survives a process crash (SIGKILL);
 * only an OS crash or power loss can drop the last few.
 */
export function openDatabase(dataDir: string): SqliteDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(databasePath(dataDir));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  deferCheckpoints(db);
  migrate(db);
  return db;
}

function migrate(db: SqliteDatabase): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set(
    (db.prepare("SELECT id FROM schema_migrations").all() as { id: number }[]).map((row) => row.id),
  );
  const record = db.prepare("INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)");
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.id)) continue;
    transaction(db, () => {
      db.exec(migration.sql);
      record.run(migration.id, migration.name, new Date().toISOString());
    });
  }
}
