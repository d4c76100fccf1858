import { afterEach, expect, test } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { checkpointsPath, openCheckpointer, runCheckpointMetadata } from "../../src/runtime/checkpointer.js";

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
  saver.close();
  saver.close(); // idempotent
});

test("stores run metadata and scalar configurable values with each checkpoint, minus secrets and internals", async () => {
  const root = mkdtempSync(join(tmpdir(), "hookgraph-cp-"));
  dirs.push(root);
  const saver = openCheckpointer(root);
  const config = {
    configurable: { thread_id: "t1", checkpoint_ns: "", run_id: "r1", user_id: "u", openai_api_key: "sk", __pregel_x: 1, nested: { a: 1 } },
    metadata: { assistant_id: "a1", ls_integration: "langgraph", step: 99 },
  };
  await saver.put(config, emptyCheckpoint(), { source: "loop", step: 1, parents: {} });
  const tuple = await saver.getTuple({ configurable: { thread_id: "t1", checkpoint_ns: "" } });
  expect(tuple!.metadata).toEqual({ thread_id: "t1", run_id: "r1", user_id: "u", assistant_id: "a1", source: "loop", step: 1, parents: {} });
  expect(runCheckpointMetadata({}, { source: "input", step: -1, parents: {} })).toEqual({ source: "input", step: -1, parents: {} });
  saver.close();
});
