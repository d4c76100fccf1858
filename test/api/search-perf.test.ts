import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rmSync } from "node:fs";
import { openSqliteStorage, type SqliteStorage } from "../../src/storage/sqlite/index.js";
import type { ThreadSearch } from "../../src/storage/storage.js";
import { tempDataDir } from "../helpers/server.js";

/**
 * Performance sanity of thread search (reported, not asserted): 10,000 threads written through the
 * storage layer, searched with the queries clients send most, against the same on an empty database.
 */
const THREADS = 10_000;
const USERS = 100;

const dirs: string[] = [];
let empty: SqliteStorage;
let full: SqliteStorage;

beforeAll(() => {
  const open = () => {
    const dir = tempDataDir();
    dirs.push(dir);
    return openSqliteStorage(dir);
  };
  empty = open();
  full = open();
  const start = Date.parse("2025-01-01T00:00:00Z");
  full.db.transaction(() => {
    for (let i = 0; i < THREADS; i += 1) {
      full.threads.insertSync(
        {
          metadata: {
            user: `u${i % USERS}`,
            graph_id: i % 2 === 0 ? "echo" : "chat",
            n: i,
            tags: { team: `t${i % 7}` },
            // The oldest 30 %: many matches, all at the far end of a newest-first scan.
            ...(i < THREADS * 0.3 ? { legacy: true } : {}),
          },
        },
        new Date(start + i * 1000),
      );
    }
  })();
});

afterAll(async () => {
  await empty.close();
  await full.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Median milliseconds of `runs` searches (after one warm-up). */
async function time(storage: SqliteStorage, query: ThreadSearch, runs = 25): Promise<number> {
  await storage.threads.search(query);
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = process.hrtime.bigint();
    await storage.threads.search(query);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const QUERIES: [string, ThreadSearch][] = [
  ["no filter, sort updated_at desc", { limit: 10, offset: 0, sort_by: "updated_at", sort_order: "desc" }],
  ["metadata {user} (1% match), sort updated_at", { limit: 10, offset: 0, metadata: { user: "u42" }, sort_by: "updated_at", sort_order: "desc" }],
  ["metadata {graph_id} (50% match)", { limit: 10, offset: 0, metadata: { graph_id: "echo" } }],
  ["metadata {n} (one match)", { limit: 10, offset: 0, metadata: { n: 4321 } }],
  ["metadata {user, graph_id}", { limit: 10, offset: 0, metadata: { user: "u42", graph_id: "echo" } }],
  ["metadata {tags: {team}} (nested)", { limit: 10, offset: 0, metadata: { tags: { team: "t3" } } }],
  ["metadata {user} page 50", { limit: 10, offset: 50, metadata: { user: "u42" } }],
  ["metadata {legacy} (30%, all oldest)", { limit: 10, offset: 0, metadata: { legacy: true } }],
  ["metadata {tags: {team}} no match (full scan)", { limit: 10, offset: 0, metadata: { tags: { team: "none" } } }],
];

describe("thread search timings", () => {
  test("10,000 threads vs an empty database", async () => {
    // Correctness first: the timed queries find what they should.
    const users = await full.threads.search({ limit: 1000, offset: 0, metadata: { user: "u42" }, sort_by: "updated_at", sort_order: "desc" });
    expect(users).toHaveLength(THREADS / USERS);
    expect(users.every((t) => t.metadata.user === "u42")).toBe(true);
    expect(users.map((t) => t.updated_at)).toEqual([...users.map((t) => t.updated_at)].sort().reverse());
    expect((await full.threads.search({ limit: 10, offset: 0, metadata: { n: 4321 } })).map((t) => t.metadata.n)).toEqual([4321]);
    expect(await full.threads.count({ metadata: { graph_id: "echo" } })).toBe(THREADS / 2);
    expect(await full.threads.count({ metadata: { tags: { team: "t3" } } })).toBe(Math.ceil((THREADS - 3) / 7));
    const latest = await full.threads.search({ limit: 1, offset: 0, sort_by: "updated_at", sort_order: "desc" });
    expect(latest[0].metadata.n).toBe(THREADS - 1);

    const rows: string[] = [];
    for (const [name, query] of QUERIES) {
      const emptyMs = await time(empty, query);
      const fullMs = await time(full, query);
      rows.push(`${name.padEnd(46)} empty ${emptyMs.toFixed(3).padStart(8)} ms   10k ${fullMs.toFixed(3).padStart(8)} ms`);
    }
    console.log(`threads.search, median of 25:\n${rows.join("\n")}`);
  });
});
