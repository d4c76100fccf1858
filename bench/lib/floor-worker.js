// Runs under `node --import tsx` in its own process (bench/lib/figures/floor.js starts it), so the
// harness's own work does not disturb it. Prints one JSON line: per-round p50s in ms.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { graph } from "../graphs/echo.ts";
import { nowMs } from "./clock.js";
import { percentile } from "./stats.js";

const [plainRuns, sqliteRuns, rounds, warmup] = process.argv.slice(2).map(Number);

async function timeInvokes(count, withThread, durability) {
  const latencies = [];
  for (let i = 0; i < count; i += 1) {
    const value = `floor-${i}`;
    // A fresh thread per invoke, as a server's new run gets: nothing accumulates in one thread.
    const config = withThread ? { configurable: { thread_id: randomUUID() }, ...(durability ? { durability } : {}) } : undefined;
    const t0 = nowMs();
    const output = await graph.invoke({ value }, config);
    latencies.push(nowMs() - t0);
    if (output.value !== value) throw new Error(`echo graph returned ${JSON.stringify(output)}`);
  }
  return latencies;
}

async function measure(count, withThread, durability) {
  await timeInvokes(warmup, withThread, durability);
  const p50s = [];
  for (let r = 0; r < rounds; r += 1) p50s.push(percentile(await timeInvokes(count, withThread, durability), 50));
  return p50s;
}

const dir = mkdtempSync(join(tmpdir(), "hookgraph-bench-floor-"));
try {
  const plain = await measure(plainRuns, false);
  const saver = SqliteSaver.fromConnString(join(dir, "checkpoints.sqlite"));
  graph.checkpointer = saver;
  const sqlite = await measure(sqliteRuns, true);
  // Checkpoints written once, when the graph exits: how hookgraph runs a stateless run deleted on completion.
  const sqliteExit = await measure(sqliteRuns, true, "exit");
  saver.db.close();
  process.stdout.write(`${JSON.stringify({ plain, sqlite, sqliteExit })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
