import { afterAll, beforeAll, expect, test } from "vitest";
import { openPool, type PgPool } from "../../src/storage/postgres/database.js";
import { HookgraphPostgresSaver } from "../../src/storage/postgres/checkpointer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const PROCESSES = 8;

test("savers of several processes setting up a fresh database at once all succeed, and set it up once", async () => {
  // A pool each, as separate processes have: the lock is what keeps their setups apart.
  const pools: PgPool[] = Array.from({ length: PROCESSES }, () => openPool(database.uri, { max: 2 }));
  try {
    const results = await Promise.allSettled(pools.map((pool) => new HookgraphPostgresSaver(pool).setup()));
    expect(results.filter((result) => result.status === "rejected")).toEqual([]);
    const { rows } = await pools[0].query<{ v: number }>("SELECT v FROM checkpoint_migrations ORDER BY v");
    expect(rows.map((row) => row.v)).toEqual([0, 1, 2, 3, 4]);
    // And again, on tables that exist: nothing to do, no error.
    await new HookgraphPostgresSaver(pools[0]).setup();
  } finally {
    await Promise.all(pools.map((pool) => pool.end()));
  }
});
