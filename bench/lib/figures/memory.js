import { sleep } from "../clock.js";
import { runPool } from "../pool.js";
import { memoryOf } from "../proc.js";
import { metric } from "./metrics.js";
import { echoWait } from "./runs.js";

const SETTLE_MS = 1000;
const LOAD_CONCURRENCY = 16;

function treeNote(ctx, memory) {
  return ctx.server.pid === ctx.server.rootPid ? "" : `; whole process tree ${memory.treeRssMiB.toFixed(0)} MiB`;
}

/** (7a) RSS of the server process right after startup, before any run. */
export async function measureIdleMemory(ctx) {
  await sleep(SETTLE_MS);
  const memory = memoryOf(ctx.server.pid, ctx.server.rootPid);
  return {
    samples: `VmRSS of pid ${ctx.server.pid}, ${SETTLE_MS / 1000}s after it answered /ok${treeNote(ctx, memory)}`,
    metrics: [metric("rss_idle", memory.rssMiB, { treeRssMiB: memory.treeRssMiB })],
  };
}

/**
 * (7b) RSS of the server process after a fixed number of echo runs. If the time budget runs out
 * first, RSS is still read and the run count actually served is what gets reported.
 */
export async function measureMemoryAfterRuns(ctx) {
  const planned = ctx.counts.memoryRuns;
  const load = await runPool({
    total: planned,
    concurrency: LOAD_CONCURRENCY,
    deadline: ctx.hardDeadline,
    task: (i) => echoWait(ctx.client, `mem-${i}`),
  });
  if (load.error) throw load.error;
  await sleep(SETTLE_MS);
  const memory = memoryOf(ctx.server.pid, ctx.server.rootPid);
  const n = load.completed;
  const cut = n < planned ? ` (time budget: ${n} of ${planned} runs)` : "";
  return {
    samples: `${n} runs at c=${LOAD_CONCURRENCY}${cut}, then ${SETTLE_MS / 1000}s; peak RSS ${memory.peakMiB.toFixed(0)} MiB${treeNote(ctx, memory)}`,
    metrics: [metric("rss_after", memory.rssMiB, { n, peakMiB: memory.peakMiB, treeRssMiB: memory.treeRssMiB })],
  };
}
