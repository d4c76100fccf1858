import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { Checkpoint, CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { deferCheckpoints } from "../storage/sqlite/wal-checkpointer.js";

/** Configurable keys that never go into checkpoint metadata (internal, or likely secrets). */
const EXCLUDED_CONFIGURABLE = new Set(["checkpoint_id", "checkpoint_ns", "checkpoint_map"]);
const SECRET_LIKE = /key|token|secret|passw|auth|credential|cookie/i;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/**
 * The metadata the Python server stores with each checkpoint: the run config's metadata plus the
 * scalar `configurable` values (thread_id, run_id, graph_id, assistant_id, user values), under the
 * library's own keys (source, step, parents). LangGraph.js stores only its own keys; this is what
 * lets history show `run_id` and lets us find (resume, roll back) the checkpoints a run wrote.
 */
export function runCheckpointMetadata(config: RunnableConfig, metadata: CheckpointMetadata): CheckpointMetadata {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.configurable ?? {})) {
    if (key.startsWith("__") || EXCLUDED_CONFIGURABLE.has(key) || SECRET_LIKE.test(key) || !isScalar(value)) continue;
    merged[key] = value;
  }
  for (const [key, value] of Object.entries(config.metadata ?? {})) {
    // `ls_*` are LangSmith tracing tags the library adds, not run metadata.
    if (key.startsWith("__") || key.startsWith("ls_") || value === undefined || typeof value === "function") continue;
    merged[key] = value;
  }
  return { ...merged, ...metadata } as CheckpointMetadata;
}

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
