/**
 * The storage conformance suite runs every repository against both dialects: a test file calls
 * `describeStorage(name, body)` and its tests run once on SQLite and once on PostgreSQL, each dialect
 * on a fresh database of its own (a temp dir; a database created and dropped for the file).
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe } from "vitest";
import type { Storage } from "../../../src/storage/storage.js";
import { openSqliteStorage } from "../../../src/storage/sqlite/index.js";
import { openPostgresStorage } from "../../../src/storage/postgres/index.js";
import { tempDataDir } from "../../helpers/temp.js";
import { createTestDatabase, type TestDatabase } from "../../helpers/postgres.js";

export type Dialect = "sqlite" | "postgres";

export interface StorageUnderTest {
  dialect: Dialect;
  /** The storage of the file's database, opened once before the file's tests. */
  storage(): Storage;
  /**
   * Another storage on the same database: a second process, for races (PostgreSQL only; the
   * embedded database has one owner). Closed after the file.
   */
  another(): Promise<Storage>;
}

export function describeStorage(name: string, body: (backend: StorageUnderTest) => void): void {
  for (const dialect of ["sqlite", "postgres"] as const) {
    describe(`${name} [${dialect}]`, () => {
      let storage: Storage | undefined;
      const others: Storage[] = [];
      let database: TestDatabase | undefined;
      let dataDir: string | undefined;
      beforeAll(async () => {
        if (dialect === "sqlite") {
          dataDir = tempDataDir();
          storage = openSqliteStorage(dataDir);
        } else {
          database = await createTestDatabase();
          storage = await openPostgresStorage({ kind: "postgres", uri: database.uri });
        }
      });
      afterAll(async () => {
        for (const other of others) await other.close();
        await storage?.close();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        await database?.drop();
      });
      body({
        dialect,
        storage: () => storage!,
        another: async () => {
          if (!database) throw new Error("another() is for PostgreSQL: the embedded database has one owner");
          const other = await openPostgresStorage({ kind: "postgres", uri: database.uri });
          others.push(other);
          return other;
        },
      });
    });
  }
}
