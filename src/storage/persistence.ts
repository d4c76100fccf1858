/**
 * What graphs run on, opened from a DatabaseLocation: the one place that picks the dialect. The
 * composition root opens it once for the main thread; each graph worker thread opens its own from
 * the same (serialisable) location. The storage's migrations must have run on the database (the
 * composition root opens the storage first): the store's table is one of them.
 */
import type Database from "better-sqlite3";
import type { DatabaseLocation, GraphPersistence } from "./backend.js";
import { openCheckpointer } from "./sqlite/checkpointer.js";
import { SqliteCheckpointMaintenance } from "./sqlite/checkpoint-maintenance.js";
import { openDatabase } from "./sqlite/database.js";
import { SqliteStore } from "./sqlite/store.js";
import { openPool, type PgPool } from "./postgres/database.js";
import { HookgraphPostgresSaver } from "./postgres/checkpointer.js";
import { PostgresCheckpointMaintenance } from "./postgres/checkpoint-maintenance.js";
import { PostgresStore } from "./postgres/store.js";

/**
 * Connections of a graph persistence's own PostgreSQL pool. Small, since every graph worker thread
 * of every process opens one; two at least, as the saver's setup holds two (see its `setup`).
 */
const DEFAULT_POOL_SIZE = 4;

export interface GraphPersistenceOptions {
  /** PostgreSQL: a pool to share (left open on close); without one the persistence opens its own. */
  pool?: PgPool;
  /** PostgreSQL: connections of its own pool (default 4, at least 2). */
  poolSize?: number;
  /**
   * SQLite: the storage's connection to hookgraph.sqlite, for the store to share (left open on
   * close); without one the persistence opens its own.
   */
  sqliteDb?: Database.Database;
}

export async function openGraphPersistence(location: DatabaseLocation, options: GraphPersistenceOptions = {}): Promise<GraphPersistence> {
  return location.kind === "sqlite" ? openSqlite(location.dataDir, options.sqliteDb) : openPostgres(location.uri, options);
}

function openSqlite(dataDir: string, sharedDb: Database.Database | undefined): GraphPersistence {
  const checkpointer = openCheckpointer(dataDir);
  const db = sharedDb ?? openDatabase(dataDir);
  return {
    checkpointer,
    checkpoints: new SqliteCheckpointMaintenance(checkpointer),
    store: new SqliteStore(db),
    async close() {
      checkpointer.close();
      if (!sharedDb) db.close();
    },
  };
}

async function openPostgres(uri: string, options: GraphPersistenceOptions): Promise<GraphPersistence> {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!options.pool && (!Number.isInteger(poolSize) || poolSize < 2)) throw new Error(`poolSize: at least 2 connections (got ${poolSize})`);
  const pool = options.pool ?? openPool(uri, { max: poolSize, applicationName: "hookgraph-graphs" });
  const close = async () => {
    if (!options.pool) await pool.end();
  };
  try {
    const checkpointer = new HookgraphPostgresSaver(pool);
    await checkpointer.setup();
    return { checkpointer, checkpoints: new PostgresCheckpointMaintenance(checkpointer), store: new PostgresStore(pool), close };
  } catch (error) {
    await close();
    throw error;
  }
}
