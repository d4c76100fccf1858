import { afterEach, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { Writable } from "node:stream";
import pino from "pino";
import { openDatabase, type SqliteDatabase } from "../../src/storage/sqlite/database.js";
import { SqliteStore } from "../../src/storage/sqlite/store.js";
import { startStoreSweeper } from "../../src/store/ttl-sweeper.js";

let dir: string;
let db: SqliteDatabase;
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function capturingLogger() {
  const lines: Array<{ msg: string; level: number }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean).map((line) => JSON.parse(line) as { msg: string; level: number }));
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

const until = async (condition: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 200 && !(await condition()); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
};

function openStore(now: () => number) {
  dir = mkdtempSync(join(tmpdir(), "hookgraph-store-sweeper-"));
  db = openDatabase(dir);
  return new SqliteStore(db, { now });
}

const rows = () => (db.prepare("SELECT count(*) AS n FROM store_items").get() as { n: number }).n;

test("deletes expired items on its interval, and only those", async () => {
  let clock = Date.parse("2025-01-01T00:00:00Z");
  const store = openStore(() => clock);
  await store.put(["t"], "short", { v: 1 }, undefined, { ttl: 1 });
  await store.put(["t"], "forever", { v: 2 });
  const { logger, lines } = capturingLogger();
  const stop = startStoreSweeper(store, logger, 10);
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(rows()).toBe(2);
  clock += 61_000;
  await until(() => rows() === 1);
  expect(rows()).toBe(1);
  expect(await store.get(["t"], "forever")).not.toBeNull();
  await stop();
  expect(lines.some((line) => line.msg === "deleted expired store items")).toBe(true);
});

test("a failed sweep is logged and the next one runs", async () => {
  const store = openStore(Date.now);
  const { logger, lines } = capturingLogger();
  db.close(); // every sweep now fails
  const stop = startStoreSweeper(store, logger, 10);
  await until(() => lines.filter((line) => line.msg === "deleting expired store items failed").length >= 2);
  await stop();
  const failures = lines.filter((line) => line.msg === "deleting expired store items failed");
  expect(failures.length).toBeGreaterThanOrEqual(2);
  expect(failures[0].level).toBe(50);
  const count = lines.length;
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(lines.length).toBe(count); // stopped
});
