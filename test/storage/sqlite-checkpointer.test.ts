import { afterEach, expect, test } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { checkpointsPath, openCheckpointer } from "../../src/storage/sqlite/checkpointer.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test("opens <dataDir>/checkpoints.sqlite in WAL mode with a busy timeout, creating the directory", () => {
  const root = mkdtempSync(join(tmpdir(), "hookgraph-cp-"));
  dirs.push(root);
  const dataDir = join(root, "nested", "data");
  const saver = openCheckpointer(dataDir, { busyTimeoutMs: 1234 });
  expect(existsSync(checkpointsPath(dataDir))).toBe(true);
  expect(saver.db.pragma("journal_mode", { simple: true })).toBe("wal");
  expect(saver.db.pragma("busy_timeout", { simple: true })).toBe(1234);
  expect(saver.db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
  saver.close();
  saver.close(); // idempotent
});

test("statements are prepared once per SQL text", () => {
  const root = mkdtempSync(join(tmpdir(), "hookgraph-cp-"));
  dirs.push(root);
  const saver = openCheckpointer(root);
  expect(saver.db.prepare("SELECT 1")).toBe(saver.db.prepare("SELECT 1"));
  saver.close();
});
