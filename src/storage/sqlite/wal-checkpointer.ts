import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";

/**
 * WAL pages a connection lets pile up before it checkpoints the file itself, in the middle of a
 * commit. SQLite's default (1,000) made every ~20th run's commit also copy the WAL into the
 * database and fsync both: ~2/3 of the main thread's storage time in the run benchmark. The
 * background checkpointer does that work instead; this is the fallback if it falls behind.
 */
const FALLBACK_AUTOCHECKPOINT_PAGES = 25_000;

/** How often the background thread checkpoints each file. */
const CHECKPOINT_INTERVAL_MS = 100;

/** Leaves checkpoints of this connection's database to a `WalCheckpointer` (see above). */
export function deferCheckpoints(db: Database.Database): void {
  db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
}

/**
 * The thread's whole program: its own connection per file, a PASSIVE checkpoint of each on a
 * timer (PASSIVE never waits for, or blocks, the server's readers and writers; one that finds
 * nothing new returns at once).
 */
const CHECKPOINT_THREAD = `
const { workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const dbs = workerData.files.map((file) => {
  const db = new Database(file, { fileMustExist: true });
  db.pragma("busy_timeout = 1000");
  return db;
});
setInterval(() => {
  for (const db of dbs) {
    try { db.pragma("wal_checkpoint(PASSIVE)"); } catch { /* busy or locked: the next tick tries again */ }
  }
}, workerData.intervalMs);
`;

/**
 * Checkpoints SQLite files in WAL mode on a thread of its own, so that the fsyncs of a
 * checkpoint never stall the event loop of the thread that committed (the main thread for the
 * server's database, a graph worker for the checkpoints). Durability is unchanged: a commit is in
 * the WAL (which survives a process crash) before it returns either way.
 */
export class WalCheckpointer {
  private constructor(private readonly worker: Worker) {}

  static start(files: string[], onError: (error: Error) => void): WalCheckpointer {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const worker = new Worker(CHECKPOINT_THREAD, { eval: true, workerData: { driver, files, intervalMs: CHECKPOINT_INTERVAL_MS } });
    // Without it the connections checkpoint themselves (deferCheckpoints' fallback): slower, still correct.
    worker.on("error", onError);
    // Not a reason to keep the process alive; close() ends it on a normal stop.
    worker.unref();
    return new WalCheckpointer(worker);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
