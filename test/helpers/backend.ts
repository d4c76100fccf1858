import { createRedisPrefix, createTestDatabase, REDIS_URI } from "./postgres.js";

export type TestBackend = "sqlite" | "postgres";

/** Which backend the API suite runs on: `npm test` runs it once on each (vitest.config.ts). */
export function testBackend(): TestBackend {
  return process.env.HOOKGRAPH_TEST_BACKEND === "postgres" ? "postgres" : "sqlite";
}

export interface SharedTestBackend {
  databaseUri: string;
  redisUri: string;
  redisPrefix: string;
  /** Drops the database and clears the Redis keys. */
  drop(): Promise<void>;
}

/** One database and Redis prefix per data dir, for the servers of one test file. */
const byDataDir = new Map<string, Promise<SharedTestBackend>>();

export function sharedBackendFor(dataDir: string): Promise<SharedTestBackend> {
  let backend = byDataDir.get(dataDir);
  if (!backend) {
    backend = (async () => {
      const database = await createTestDatabase();
      const redis = createRedisPrefix();
      return {
        databaseUri: database.uri,
        redisUri: REDIS_URI,
        redisPrefix: redis.prefix,
        drop: async () => {
          byDataDir.delete(dataDir);
          await database.drop();
          await redis.clear();
        },
      };
    })();
    byDataDir.set(dataDir, backend);
  }
  return backend;
}

/** Drops what servers on reused data dirs left (a restart test keeps its data dir to the end). */
export async function dropSharedBackends(): Promise<void> {
  for (const backend of [...byDataDir.values()]) await (await backend).drop();
}
