import { sleep } from "../clock.js";
import { runPool } from "../pool.js";
import { memoryOf } from "../proc.js";
import { metric } from "./metrics.js";
import { echoWait } from "./runs.js";

const SETTLE_MS = 1000;
const LOAD_CONCURRENCY = 16;

/**
 * The server's memory: its process's, or for a deployment of several processes their sum (what
 * the deployment takes), with each process's RSS in `eachMiB`.
 */
function serverMemory(server) {
  const each = (server.members ?? [server]).map((m) => memoryOf(m.pid, m.rootPid));
  const sum = (key) => each.reduce((total, m) => total + m[key], 0);
  return { rssMiB: sum("rssMiB"), peakMiB: sum("peakMiB"), treeRssMiB: sum("treeRssMiB"), eachMiB: each.map((m) => m.rssMiB) };
}

function treeNote(ctx, memory) {
  if (ctx.server.members?.length > 1) return `; the sum of ${ctx.server.members.length} processes: ${memory.eachMiB.map((v) => v.toFixed(0)).join(" + ")} MiB`;
  return ctx.server.members || ctx.server.pid === ctx.server.rootPid ? "" : `; whole process tree ${memory.treeRssMiB.toFixed(0)} MiB`;
}

/** (7a) RSS of the server process right after startup, before any run. */
export async function measureIdleMemory(ctx) {
  await sleep(SETTLE_MS);
  const memory = serverMemory(ctx.server);
  return {
    samples: `VmRSS of pid ${ctx.server.members ? ctx.server.members.map((m) => m.pid).join(", ") : ctx.server.pid}, ${SETTLE_MS / 1000}s after it answered /ok${treeNote(ctx, memory)}`,
    metrics: [metric("rss_idle", memory.rssMiB, { treeRssMiB: memory.treeRssMiB, eachMiB: memory.eachMiB })],
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
  const memory = serverMemory(ctx.server);
  const n = load.completed;
  const cut = n < planned ? ` (time budget: ${n} of ${planned} runs)` : "";
  return {
    samples: `${n} runs at c=${LOAD_CONCURRENCY}${cut}, then ${SETTLE_MS / 1000}s; peak RSS ${memory.peakMiB.toFixed(0)} MiB${treeNote(ctx, memory)}`,
    metrics: [metric("rss_after", memory.rssMiB, { n, peakMiB: memory.peakMiB, treeRssMiB: memory.treeRssMiB, eachMiB: memory.eachMiB })],
  };
}
