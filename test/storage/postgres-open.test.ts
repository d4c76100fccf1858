import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { openPostgresStorage, type PostgresStorage } from "../../src/storage/postgres/index.js";
import { MIGRATIONS } from "../../src/storage/postgres/migrations.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";

describe("opening PostgreSQL storage", () => {
  let database: TestDatabase;
  const opened: PostgresStorage[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const storage of opened) await storage.close();
    await database.drop();
  });

  test("processes starting together on an empty database all open it, migrated once", async () => {
    const storages = await Promise.all(Array.from({ length: 4 }, () => openPostgresStorage({ kind: "postgres", uri: database.uri })));
    opened.push(...storages);
    const { rows } = await storages[0].pool.query<{ id: number }>("SELECT id FROM schema_migrations ORDER BY id");
    expect(rows.map((row) => row.id)).toEqual(MIGRATIONS.map((migration) => migration.id));
    await Promise.all(storages.map((storage) => storage.assistants.ensureSystem(["echo"])));
    expect(await storages[3].assistants.count({ graph_id: "echo" })).toBe(1);
  });

  test("the pool opens at most poolSize connections", async () => {
    const storage = await openPostgresStorage({ kind: "postgres", uri: database.uri, poolSize: 2 });
    opened.push(storage);
    const pids = await Promise.all(
      Array.from({ length: 6 }, () => storage.pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.02)").then((result) => result.rows[0].pid)),
    );
    expect(new Set(pids).size).toBe(2);
  });

  test("a connection that breaks while idle is reported and replaced", async () => {
    const logged: { obj: object; msg: string }[] = [];
    const storage = await openPostgresStorage(
      { kind: "postgres", uri: database.uri, poolSize: 1 },
      { logger: { error: (obj, msg) => logged.push({ obj, msg }) } },
    );
    opened.push(storage);
    const { rows } = await storage.pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    await opened[0].pool.query("SELECT pg_terminate_backend($1)", [rows[0].pid]);
    await vi.waitFor(() => expect(logged).toHaveLength(1));
    expect(logged[0].obj).toEqual({ err: expect.any(Error) });
    await storage.ping();
  });

  test("a database that cannot be opened fails the open, naming it", async () => {
    const missing = new URL(database.uri);
    missing.pathname = `/${database.name}_missing`;
    await expect(openPostgresStorage({ kind: "postgres", uri: missing.toString() })).rejects.toThrow(`${database.name}_missing`);
  });
});
