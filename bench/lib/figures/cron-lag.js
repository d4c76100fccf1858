// (5b) Cron firing lag: several stateless crons due every second at once; for each run a firing
// created, the lag is its `created_at` minus the instant it was due. The runs are seen through
// their webhooks (a stateless cron's thread, with its runs, is deleted after each run).
import { randomUUID } from "node:crypto";
import { describeFailure } from "../client.js";
import { nowMs, sleep } from "../clock.js";
import { percentile } from "../stats.js";
import { metric } from "./metrics.js";
import { ECHO } from "./runs.js";
import { NotAvailableYet } from "./unavailable.js";

const EVERY_SECOND = "*/1 * * * * *"; // six fields, seconds first
const QUIET_MS = 1500; // after the crons are deleted: no webhook for this long means all are in
const SETTLE_LIMIT_MS = 10_000;

function parseTime(value) {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The instant a firing was due: the run's `metadata.cron_scheduled_at` (hookgraph stamps it), else
 * the whole second the run was created in (exact while lags stay under a second).
 */
function dueOf(payload, createdAt) {
  return parseTime(payload.metadata?.cron_scheduled_at) ?? Math.floor(createdAt / 1000) * 1000;
}

async function createCrons(ctx, count, tag) {
  const ids = [];
  for (let k = 0; k < count; k += 1) {
    try {
      const cron = await ctx.client.crons.create(ECHO, {
        schedule: EVERY_SECOND,
        input: { value: `cron-${k}` },
        metadata: { bench_cron: tag },
        webhook: ctx.receiver.url,
      });
      ids.push(cron.cron_id);
    } catch (error) {
      await deleteCrons(ctx, ids);
      const failure = describeFailure("POST /runs/crons", error);
      // The server under test has no (working) crons: a gap in features, not a failed measurement.
      if (k === 0) throw new NotAvailableYet(`not available: ${failure}`);
      throw new Error(`${failure} (after ${k} crons were created)`);
    }
  }
  return ids;
}

async function deleteCrons(ctx, ids) {
  const failed = [];
  for (const id of ids) {
    try {
      await ctx.client.crons.delete(id);
    } catch (error) {
      failed.push(describeFailure(`DELETE /runs/crons/${id}`, error));
    }
  }
  return failed;
}

export async function measureCronLag(ctx) {
  const { crons: count, cronSeconds } = ctx.counts;
  const tag = randomUUID();
  const firings = [];
  let lastArrival = nowMs();
  const untap = ctx.receiver.tap(({ payload }) => {
    if (payload.metadata?.bench_cron !== tag) return false;
    lastArrival = nowMs();
    firings.push(payload);
    return true;
  });
  let ids = [];
  try {
    ids = await createCrons(ctx, count, tag);
    await sleep(Math.min(cronSeconds * 1000, ctx.deadline.leftMs()));
  } finally {
    const failed = await deleteCrons(ctx, ids);
    if (failed.length > 0) {
      untap();
      throw new Error(`crons left firing on the server: ${failed[0]}`);
    }
  }
  // Runs created before the deletes still end and send their webhooks.
  const settleUntil = nowMs() + SETTLE_LIMIT_MS;
  while (nowMs() - lastArrival < QUIET_MS && nowMs() < settleUntil) await sleep(100);
  untap();

  if (firings.length === 0) throw new Error(`${count} crons due every second for ${cronSeconds}s: no run's webhook arrived`);
  const failedRuns = firings.filter((p) => p.status !== "success");
  if (failedRuns.length > 0) throw new Error(`${failedRuns.length} cron runs ended ${failedRuns[0].status}`);
  const lags = [];
  const perCron = new Map();
  let stamped = 0;
  for (const payload of firings) {
    const createdAt = parseTime(payload.created_at);
    if (createdAt === undefined) throw new Error(`cron run webhook without a usable created_at (${JSON.stringify(payload.created_at)})`);
    if (payload.metadata?.cron_scheduled_at !== undefined) stamped += 1;
    const due = dueOf(payload, createdAt);
    lags.push(createdAt - due);
    const key = payload.metadata?.cron_id ?? "?";
    if (!perCron.has(key)) perCron.set(key, new Set());
    perCron.get(key).add(due);
  }
  // Each cron should fire once per second between its first and last firing.
  let missed = 0;
  for (const dues of perCron.values()) {
    const sorted = [...dues].sort((a, b) => a - b);
    missed += (sorted.at(-1) - sorted[0]) / 1000 + 1 - sorted.length;
  }
  const doubled = firings.length - [...perCron.values()].reduce((n, dues) => n + dues.size, 0);
  const dueFrom = stamped === firings.length ? "metadata.cron_scheduled_at" : `the whole second of created_at (${firings.length - stamped} runs unstamped)`;
  return {
    samples:
      `${count} stateless crons "${EVERY_SECOND}" for ${cronSeconds}s: ${firings.length} firings seen by webhook; ` +
      `due time from ${dueFrom}; ${missed} missed and ${doubled} repeated seconds; max lag ${Math.max(...lags).toFixed(0)} ms`,
    metrics: [metric("cron_lag_p50", percentile(lags, 50), { firings: lags.length }), metric("cron_lag_p99", percentile(lags, 99))],
  };
}
