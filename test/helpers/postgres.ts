import { randomBytes } from "node:crypto";
import pg from "pg";
import { Redis } from "ioredis";

/** The machine's PostgreSQL (trust auth) and Redis; CI starts them when they are down (.ci/run). */
export const POSTGRES_ADMIN_URI = process.env.HOOKGRAPH_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URI = process.env.HOOKGRAPH_TEST_REDIS ?? "redis://127.0.0.1:6379";

export interface TestDatabase {
  /** DATABASE_URI of the new, empty database. */
  uri: string;
  name: string;
  /** Drops it, ending any connection still open to it. */
  drop(): Promise<void>;
}

function uriFor(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URI);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URI });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A fresh database of its own for one test file (or one server): created empty, dropped after. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hookgraph_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    uri: uriFor(name),
    name,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export interface TestRedisPrefix {
  /** Key prefix (ends with ":"), so tests sharing the machine's Redis never see each other's keys. */
  prefix: string;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

/** `uri`: a Redis other than the machine's (a test's private server) whose keys `clear` deletes. */
export function createRedisPrefix(uri = REDIS_URI): TestRedisPrefix {
  const prefix = `hookgraph-test:${process.pid}:${randomBytes(4).toString("hex")}:`;
  return {
    prefix,
    clear: async () => {
      const redis = new Redis(uri, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        redis.disconnect();
      }
    },
  };
}
