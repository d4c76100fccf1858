/**
 * What graphs run on, under conformance: `describeGraphPersistence` runs a file's tests once per
 * dialect on a persistence opened by `openGraphPersistence` (the fixture graphs loaded on it), and
 * `describeStore` once per dialect on a store with a clock the test moves. Each dialect gets a
 * fresh database of its own (a temp dir; a PostgreSQL database created and dropped for the file).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe } from "vitest";
import type { GraphPersistence, HookgraphStore } from "../../../src/storage/backend.js";
import { openGraphPersistence } from "../../../src/storage/persistence.js";
import { openDatabase, type SqliteDatabase } from "../../../src/storage/sqlite/database.js";
import { SqliteStore } from "../../../src/storage/sqlite/store.js";
import { migrate, openPool, type PgPool } from "../../../src/storage/postgres/database.js";
import { PostgresStore } from "../../../src/storage/postgres/store.js";
import type { HookgraphSqliteSaver } from "../../../src/storage/sqlite/checkpointer.js";
import { GraphRegistry } from "../../../src/runtime/graph-loader.js";
import { readLangGraphJson } from "../../../src/config/langgraph-json.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/postgres.js";
import { FIXTURES_CONFIG } from "../../runtime/helpers.js";
import type { Dialect } from "./backends.js";

export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres"];

/** A fresh database of the dialect, migrated as the storage migrates it. */
interface TestBackend {
  dialect: Dialect;
  /** SQLite: the data dir. */
  dataDir?: string;
  /** SQLite: a connection to hookgraph.sqlite. */
  db?: SqliteDatabase;
  /** PostgreSQL: its URI and a pool of the test's own on it. */
  database?: TestDatabase;
  pool?: PgPool;
  dispose(): Promise<void>;
}

async function openBackend(dialect: Dialect): Promise<TestBackend> {
  if (dialect === "sqlite") {
    const dataDir = mkdtempSync(join(tmpdir(), "hookgraph-persistence-"));
    const db = openDatabase(dataDir);
    return {
      dialect,
      dataDir,
      db,
      dispose: async () => {
        db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase();
  const pool = openPool(database.uri, { max: 4 });
  await migrate(pool);
  return {
    dialect,
    database,
    pool,
    dispose: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

export interface GraphPersistenceUnderTest {
  dialect: Dialect;
  persistence(): GraphPersistence;
  /** The fixture graphs of test/fixtures/langgraph.json on the persistence. */
  registry(): GraphRegistry;
  /** Pending writes of the thread whose checkpoint is gone (the saver never reads them). */
  orphanWrites(threadId: string): Promise<number>;
  /** Channel values of the thread no checkpoint references (PostgreSQL keeps them apart; SQLite inside checkpoints: 0). */
  unreferencedBlobs(threadId: string): Promise<number>;
  /** Checkpoints of the thread, every namespace. */
  checkpointCount(threadId: string): Promise<number>;
}

const PG_ORPHAN_WRITES = `SELECT count(*) AS n FROM checkpoint_writes w WHERE w.thread_id = $1 AND NOT EXISTS (
  SELECT 1 FROM checkpoints c WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id)`;
const SQLITE_ORPHAN_WRITES = `SELECT count(*) AS n FROM writes w WHERE w.thread_id = ? AND NOT EXISTS (
  SELECT 1 FROM checkpoints c WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id)`;
const PG_UNREFERENCED_BLOBS = `SELECT count(*) AS n FROM checkpoint_blobs b WHERE b.thread_id = $1 AND NOT EXISTS (
  SELECT 1 FROM checkpoints c WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
    AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)`;

export function describeGraphPersistence(name: string, body: (backend: GraphPersistenceUnderTest) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let backend: TestBackend | undefined;
      let persistence: GraphPersistence | undefined;
      let registry: GraphRegistry | undefined;
      beforeAll(async () => {
        backend = await openBackend(dialect);
        const location = backend.dataDir ? { kind: "sqlite" as const, dataDir: backend.dataDir } : { kind: "postgres" as const, uri: backend.database!.uri };
        persistence = await openGraphPersistence(location);
        registry = await GraphRegistry.load(readLangGraphJson(FIXTURES_CONFIG).graphs, {
          checkpointer: persistence.checkpointer,
          store: persistence.store,
        });
      });
      afterAll(async () => {
        await persistence?.close();
        await backend?.dispose();
      });
      const sqliteSaverDb = () => (persistence!.checkpointer as HookgraphSqliteSaver).db;
      const count = async (sqlite: string | null, postgres: string, threadId: string): Promise<number> => {
        if (dialect === "postgres") return (await backend!.pool!.query<{ n: number }>(postgres, [threadId])).rows[0].n;
        return sqlite === null ? 0 : (sqliteSaverDb().prepare(sqlite).get(threadId) as { n: number }).n;
      };
      body({
        dialect,
        persistence: () => persistence!,
        registry: () => registry!,
        orphanWrites: (threadId) => count(SQLITE_ORPHAN_WRITES, PG_ORPHAN_WRITES, threadId),
        unreferencedBlobs: (threadId) => count(null, PG_UNREFERENCED_BLOBS, threadId),
        checkpointCount: (threadId) =>
          count("SELECT count(*) AS n FROM checkpoints WHERE thread_id = ?", "SELECT count(*) AS n FROM checkpoints WHERE thread_id = $1", threadId),
      });
    });
  }
}

export interface StoreUnderTest {
  dialect: Dialect;
  /** A store on the file's database, emptied before each test, on the test's clock. */
  store(): HookgraphStore;
  /** Moves the clock (ms); it starts at 2025-01-01T00:00:00Z for each test. */
  advance(ms: number): void;
  now(): number;
}

const START = Date.parse("2025-01-01T00:00:00Z");

export function describeStore(name: string, body: (backend: StoreUnderTest) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let backend: TestBackend | undefined;
      let store: HookgraphStore | undefined;
      let clock = START;
      beforeAll(async () => {
        backend = await openBackend(dialect);
        const now = () => clock;
        store = backend.db ? new SqliteStore(backend.db, { now }) : new PostgresStore(backend.pool!, { now });
      });
      beforeEach(async () => {
        clock = START;
        if (backend!.db) backend!.db.exec("DELETE FROM store_items");
        else await backend!.pool!.query("DELETE FROM store_items");
      });
      afterAll(async () => {
        await backend?.dispose();
      });
      body({
        dialect,
        store: () => store!,
        advance: (ms) => {
          clock += ms;
        },
        now: () => clock,
      });
    });
  }
}
