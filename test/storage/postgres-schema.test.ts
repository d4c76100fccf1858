import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dumpSchema } from "../../src/storage/postgres/schema-dump.js";
import { POSTGRES_ADMIN_URI } from "../helpers/postgres.js";

describe("the committed PostgreSQL schema dump", () => {
  it("matches what the migrations produce (run `npm run schema:dump:postgres` after changing one)", async () => {
    const committed = readFileSync(new URL("../../src/storage/postgres/schema.sql", import.meta.url), "utf8");
    expect(committed).toBe(await dumpSchema(POSTGRES_ADMIN_URI));
  });
});
