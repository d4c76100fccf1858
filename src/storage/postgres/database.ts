import pg from "pg";
import { MIGRATIONS } from "./migrations.js";
import { PreparingClient } from "./preparing-client.js";

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;
/** Anything that runs a query: the pool (its own connection per call) or a client in a transaction. */
export type PgQueryable = Pick<pg.Pool, "query">;

// bigint (seq, count(*)) as a number: every value here stays far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

/** The key of the advisory lock every process takes to migrate (and to set up the checkpointer's tables). */
const MIGRATION_LOCK = 7_401_153_289;

export interface PoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** Shown in pg_stat_activity: which hookgraph part holds a connection. */
  applicationName?: string;
}

/**
 * A connection pool to DATABASE_URI. A connection that breaks (PostgreSQL restarted, a backend
 * terminated) is dropped from the pool and the next query opens a new one; the pool's own error
 * event (an idle connection dying) is logged by the caller instead of crashing the process.
 */
export function openPool(uri: string, options: PoolOptions = {}, onIdleError?: (error: Error) => void): PgPool {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: uri,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "hookgraph",
    // Fail fast when the database is down: the caller's loop retries with a backoff.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on("error", (error) => onIdleError?.(error));
  // pg-pool watches only idle clients: a checked-out one whose connection dies (PostgreSQL
  // restarting, a terminated backend) would emit an unhandled "error" and end the process. Its
  // query rejects anyway, and the pool discards the client when it is released.
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/**
 * Runs `body` in a transaction on one connection; commits when it resolves, rolls back when it
 * throws. A connection that failed mid-transaction is destroyed rather than returned to the pool.
 */
export async function transaction<T>(pool: PgPool, body: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `body` holding the migration advisory lock (session level, on a connection of its own):
 * processes starting at the same moment take turns, and each finds the work of the one before.
 */
export async function withMigrationLock<T>(pool: PgPool, body: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      return await body(client);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Applies pending migrations, each in its own transaction, under the migration lock. */
export async function migrate(pool: PgPool): Promise<void> {
  await withMigrationLock(pool, async (client) => {
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)",
    );
    const { rows } = await client.query<{ id: number }>("SELECT id FROM schema_migrations");
    const applied = new Set(rows.map((row) => row.id));
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, now())", [migration.id, migration.name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`PostgreSQL migration ${migration.id} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
      }
    }
  });
}
