import Database from "better-sqlite3";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../config/errors.js";

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the embedded data dir for this process alone: the embedded mode has one owner, which at
 * start takes back every run left running (a second process on the same dir would re-execute the
 * first one's runs and send its webhooks twice). The lock is SQLite's exclusive lock on a file of
 * its own, which the kernel drops when the process dies however it dies (SIGKILL included), so a
 * crash never leaves a stale lock. The holder's pid is written beside it, for the refusal message.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, "hookgraph.pid");
  const db = new Database(join(dataDir, "hookgraph.lock"), { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    // A write takes the exclusive lock and, in this locking mode, keeps it until the connection closes.
    db.exec("CREATE TABLE IF NOT EXISTS owner (pid INTEGER); DELETE FROM owner;");
    db.prepare("INSERT INTO owner (pid) VALUES (?)").run(process.pid);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
    let holder = "";
    try {
      holder = readFileSync(pidFile, "utf8").trim();
    } catch {
      // The holder has not written its pid yet.
    }
    throw new ConfigError(
      `the data dir ${dataDir} is in use by another hookgraph process${holder ? ` (pid ${holder})` : ""}: ` +
        "the embedded database has one owner; stop that process, choose another --data-dir, or set DATABASE_URI and REDIS_URI to run several",
    );
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return {
    release() {
      if (!db.open) return;
      rmSync(pidFile, { force: true });
      db.close();
    },
  };
}
