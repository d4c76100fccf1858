import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { runCheckpointMetadata } from "../../runtime/checkpoint-metadata.js";
import { deferCheckpoints } from "./wal-checkpointer.js";

/** Distinct SQL texts kept prepared per connection; `list()` builds a new text per limit and filter. */
const STATEMENT_CACHE_SIZE = 64;

/**
 * Makes `db.prepare` return the statement prepared earlier for the same SQL text. SqliteSaver
 * prepares its INSERTs (put, putWrites) and DELETEs on every call, which costs more than running
 * them. Sharing a statement is safe here: better-sqlite3 runs each call synchronously to the end,
 * and nothing on this connection iterates a statement or switches one to pluck/raw/expand mode.
 */
function cachePreparedStatements(db: Database.Database): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      statement = prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  }) as Database.Database["prepare"];
}

/** SqliteSaver that records the run's metadata with each checkpoint (see `runCheckpointMetadata`). */
export class HookgraphSqliteSaver extends SqliteSaver {
  constructor(db: Database.Database, serde?: ConstructorParameters<typeof SqliteSaver>[1]) {
    cachePreparedStatements(db);
    super(db, serde);
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata): Promise<RunnableConfig> {
    return super.put(config, checkpoint, runCheckpointMetadata(config, metadata));
  }

  /** Creates SqliteSaver's tables if needed (the library does it lazily on first use). */
  ensureSetup(): void {
    this.setup();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The file checkpoints live in, under the server's data directory. */
export function checkpointsPath(dataDir: string): string {
  return join(dataDir, "checkpoints.sqlite");
}

/**
 * Opens (creating if needed) `<dataDir>/checkpoints.sqlite` with WAL and a busy timeout, so API
 * processes and workers can share the file.
 */
export function openCheckpointer(dataDir: string, options: { busyTimeoutMs?: number } = {}): HookgraphSqliteSaver {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(checkpointsPath(dataDir));
  db.pragma("journal_mode = WAL");
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  db.pragma("synchronous = NORMAL");
  deferCheckpoints(db);
  const saver = new HookgraphSqliteSaver(db);
  saver.ensureSetup();
  return saver;
}
