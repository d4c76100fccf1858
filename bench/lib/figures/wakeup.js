// (8) Cross-process wake-up: runs created through API process A (`hookgraph api`) and executed by
// worker B (`hookgraph worker`), which hears of each through Redis. The interval is from the
// moment A's answer to runs.create reaches the client to the moment B begins the claim that
// takes the run: B stamps that instant into the run's started_at (its clock, whole milliseconds;
// the same machine's clock as the client's). The queue keeps started_at to itself, so the harness
// reads it from the deployment's database, which it created.
import pg from "pg";
import { named } from "../client.js";
import { epochMs } from "../clock.js";
import { percentile } from "../stats.js";
import { metric } from "./metrics.js";
import { describeSamples, measureRounds } from "./rounds.js";
import { ECHO } from "./runs.js";

/** One run at a time on one thread, waited for before the next, so B is idle when each arrives. */
async function runs(ctx, threadId, count) {
  const created = [];
  for (let i = 0; i < count; i += 1) {
    if (ctx.hardDeadline.passed()) throw new Error(`time budget ran out after ${i} of ${count} runs`);
    const run = await named("POST /threads/{id}/runs", () => ctx.client.runs.create(threadId, ECHO, { input: { value: `wake-${i}` } }));
    const answeredAt = epochMs();
    await named("GET /threads/{id}/runs/{id}/join", () => ctx.client.runs.join(threadId, run.run_id));
    created.push({ runId: run.run_id, answeredAt, createdAt: Date.parse(run.created_at) });
  }
  return created;
}

/** Each run's wake-up (answer → claim) and, for the notes, created_at → claim (both server stamps). */
async function wakeups(db, created) {
  const { rows } = await db.query("SELECT run_id, status, started_at FROM runs WHERE run_id = ANY($1)", [created.map((c) => c.runId)]);
  const byId = new Map(rows.map((row) => [row.run_id, row]));
  return created.map(({ runId, answeredAt, createdAt }) => {
    const row = byId.get(runId);
    if (row?.status !== "success" || !row.started_at) {
      throw new Error(`run ${runId} is stored as ${row ? `${row.status}, started_at ${row.started_at}` : "missing"}; expected a finished run`);
    }
    const startedAt = row.started_at.getTime();
    // Both ends in whole milliseconds, as the server stamps them: the rounding errors cancel on average.
    return { wake: startedAt - Math.floor(answeredAt), sinceCreated: startedAt - createdAt };
  });
}

export async function measureWakeup(ctx) {
  const { wakeups: n, wakeupWarmup } = ctx.counts;
  const thread = await named("POST /threads", () => ctx.client.threads.create());
  const db = new pg.Client({ connectionString: ctx.server.databaseUri });
  await db.connect();
  const sinceCreated = [];
  try {
    const { values, roundsDone } = await measureRounds({
      rounds: ctx.rounds,
      deadline: ctx.deadline,
      warmup: () => runs(ctx, thread.thread_id, wakeupWarmup),
      round: async () => {
        const measured = await wakeups(db, await runs(ctx, thread.thread_id, n));
        const wake = measured.map((m) => m.wake);
        sinceCreated.push(percentile(measured.map((m) => m.sinceCreated), 50));
        return { wakeup_p50: percentile(wake, 50), wakeup_p99: percentile(wake, 99) };
      },
    });
    return {
      samples:
        `${describeSamples("runs", n, roundsDone, ctx.rounds, wakeupWarmup)}, created on A (api), started on B (worker); ` +
        `created_at → claim begun p50 ${sinceCreated.map((v) => v.toFixed(0)).join(", ")} ms (whole-ms server stamps)`,
      metrics: Object.entries(values).map(([id, v]) => metric(id, v.value, { rounds: v.rounds })),
    };
  } finally {
    await db.end();
  }
}
