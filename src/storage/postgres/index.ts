import type { DatabaseLocation } from "../backend.js";
import type { Storage } from "../storage.js";
import { migrate, openPool, type PgPool } from "./database.js";
import { PostgresAssistants } from "./assistants.js";
import { PostgresThreads } from "./threads.js";
import { PostgresRuns } from "./runs.js";
import { PostgresDeliveries } from "./deliveries.js";
import { PostgresCrons } from "./crons.js";
import { PostgresRunBrowser } from "./run-browser.js";

export interface PostgresStorageOptions {
  /** Where a broken idle connection is reported (the pool replaces it; nothing else happens). */
  logger?: { error(obj: object, msg: string): void };
}

/** Every repository on one PostgreSQL pool, shared by any number of processes. */
export class PostgresStorage implements Storage {
  readonly assistants: PostgresAssistants;
  readonly threads: PostgresThreads;
  readonly runs: PostgresRuns;
  readonly deliveries: PostgresDeliveries;
  readonly crons: PostgresCrons;
  readonly runBrowser: PostgresRunBrowser;
  private closing: Promise<void> | undefined;

  /** `pool` is shared with the process's other PostgreSQL parts (checkpointer, store). */
  constructor(readonly pool: PgPool) {
    this.assistants = new PostgresAssistants(pool);
    this.threads = new PostgresThreads(pool);
    this.runs = new PostgresRuns(pool);
    this.deliveries = new PostgresDeliveries(pool);
    this.crons = new PostgresCrons(pool);
    this.runBrowser = new PostgresRunBrowser(pool);
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  /** Ends the pool once (a second call waits for the first): queries after it fail. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/** Opens a pool on the location's database and applies pending migrations (safe when processes start together). */
export async function openPostgresStorage(
  location: Extract<DatabaseLocation, { kind: "postgres" }>,
  options: PostgresStorageOptions = {},
): Promise<PostgresStorage> {
  const pool = openPool(location.uri, { max: location.poolSize }, (error) =>
    options.logger?.error({ err: error }, "a PostgreSQL connection idle in the pool broke; the next query opens another"),
  );
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresStorage(pool);
}
