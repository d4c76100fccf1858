import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { dumpSchema } from "../../src/storage/sqlite/schema-dump.js";

describe("the committed schema dump", () => {
  it("matches what the migrations produce (run `npm run schema:dump` after adding one)", () => {
    const committed = readFileSync(new URL("../../src/storage/sqlite/schema.sql", import.meta.url), "utf8");
    expect(committed).toBe(dumpSchema());
  });
});
