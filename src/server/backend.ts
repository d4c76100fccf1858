import type { FastifyBaseLogger } from "fastify";
import type { Config } from "../config/config.js";
import type { Bus } from "../bus/bus.js";
import { openMemoryBus } from "../bus/memory/index.js";
import { openRedisBus } from "../bus/redis/index.js";
import type { Storage } from "../storage/storage.js";
import type { GraphPersistence } from "../storage/backend.js";
import { openGraphPersistence } from "../storage/persistence.js";
import { openSqliteStorage } from "../storage/sqlite/index.js";
import { databasePath } from "../storage/sqlite/database.js";
import { checkpointsPath } from "../storage/sqlite/checkpointer.js";
import { lockDataDir } from "../storage/sqlite/data-dir-lock.js";
import { WalCheckpointer } from "../storage/sqlite/wal-checkpointer.js";
import { openPostgresStorage } from "../storage/postgres/index.js";

/** Everything a process keeps its state in, opened together and closed in reverse. */
export interface Backend {
  storage: Storage;
  /** The checkpointer and store of this (main) thread; graph worker threads open their own. */
  persistence: GraphPersistence;
  bus: Bus;
  /** Whether other processes may share the work (PostgreSQL + Redis), or this one owns it all. */
  shared: boolean;
  close(): Promise<void>;
}

/**
 * Opens the embedded backend (SQLite files in the data dir, locked to this process; the bus in
 * memory) or the shared one (PostgreSQL, Redis). The one place that knows which it is.
 */
export async function openBackend(config: Config, logger: FastifyBaseLogger): Promise<Backend> {
  const releasers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const release of releasers.splice(0).reverse()) await release();
  };
  try {
    if (config.database.kind === "sqlite") {
      const { dataDir } = config.database;
      const lock = lockDataDir(dataDir);
      releasers.push(() => lock.release());
      if (config.redisUri) logger.warn("REDIS_URI is set without DATABASE_URI: the embedded database has one process and needs no Redis; it is not used");
      const storage = openSqliteStorage(dataDir);
      releasers.push(() => storage.close());
      const persistence = await openGraphPersistence(config.database, { sqliteDb: storage.db });
      releasers.push(() => persistence.close());
      const walCheckpoints = WalCheckpointer.start([databasePath(dataDir), checkpointsPath(dataDir)], (error) =>
        logger.error({ err: error }, "the WAL checkpoint thread failed; connections checkpoint themselves"),
      );
      releasers.push(() => walCheckpoints.close());
      const bus = openMemoryBus();
      releasers.push(() => bus.close());
      return { storage, persistence, bus, shared: false, close };
    }
    const storage = await openPostgresStorage(config.database, { logger });
    releasers.push(() => storage.close());
    const persistence = await openGraphPersistence(config.database, { pool: storage.pool });
    releasers.push(() => persistence.close());
    const bus = await openRedisBus({ uri: config.redis!.uri, prefix: config.redis!.keyPrefix, logger });
    releasers.push(() => bus.close());
    return { storage, persistence, bus, shared: true, close };
  } catch (error) {
    await close();
    throw error;
  }
}
