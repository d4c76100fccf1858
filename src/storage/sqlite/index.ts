import type { Storage } from "../storage.js";
import { openDatabase, type SqliteDatabase } from "./database.js";
import { SqliteAssistants } from "./assistants.js";
import { SqliteThreads } from "./threads.js";
import { SqliteRuns } from "./runs.js";
import { SqliteDeliveries } from "./deliveries.js";
import { SqliteCrons } from "./crons.js";
import { SqliteRunBrowser } from "./run-browser.js";

export class SqliteStorage implements Storage {
  readonly assistants: SqliteAssistants;
  readonly threads: SqliteThreads;
  readonly runs: SqliteRuns;
  readonly deliveries: SqliteDeliveries;
  readonly crons: SqliteCrons;
  readonly runBrowser: SqliteRunBrowser;
  private readonly pingStmt;

  constructor(readonly db: SqliteDatabase) {
    this.assistants = new SqliteAssistants(db);
    this.threads = new SqliteThreads(db);
    this.deliveries = new SqliteDeliveries(db);
    this.runs = new SqliteRuns(db, this.threads, this.deliveries);
    this.crons = new SqliteCrons(db, this.threads);
    this.runBrowser = new SqliteRunBrowser(db, this.runs);
    // A read through the connection: it throws once the connection is closed.
    this.pingStmt = db.prepare("SELECT count(*) FROM schema_migrations");
  }

  async ping(): Promise<void> {
    this.pingStmt.get();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export function openSqliteStorage(dataDir: string): SqliteStorage {
  return new SqliteStorage(openDatabase(dataDir));
}
