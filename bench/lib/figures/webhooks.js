import { named } from "../client.js";
import { percentile } from "../stats.js";
import { metric } from "./metrics.js";
import { describeSamples, measureRounds } from "./rounds.js";
import { ECHO } from "./runs.js";

const WEBHOOK_TIMEOUT_MS = 30_000;

function parseTime(value, field) {
  const ms = typeof value === "string" ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`webhook payload has no usable ${field} (${JSON.stringify(value)})`);
  return ms;
}

/**
 * One stateless background run with a webhook, one at a time so no queueing is measured.
 * Server timestamps (ISO, millisecond resolution) and the receiver's clock are the same machine's.
 */
async function webhookOnce(ctx, i) {
  const run = await named("POST /runs (stateless, with webhook)", () =>
    ctx.client.runs.create(null, ECHO, { input: { value: `hook-${i}` }, webhook: ctx.receiver.url }),
  );
  const { receivedAt, payload } = await ctx.receiver.waitFor(run.run_id, WEBHOOK_TIMEOUT_MS);
  if (payload.status !== "success") throw new Error(`webhook reported status ${payload.status} for run ${run.run_id}`);
  return {
    afterEnd: receivedAt - parseTime(payload.run_ended_at, "run_ended_at"),
    afterCreate: receivedAt - parseTime(run.created_at ?? payload.created_at, "created_at"),
  };
}

async function webhooks(ctx, count) {
  const results = [];
  for (let i = 0; i < count; i += 1) {
    if (ctx.hardDeadline.passed()) throw new Error(`time budget ran out after ${i} of ${count} webhook runs`);
    results.push(await webhookOnce(ctx, i));
  }
  return results;
}

/** (4) Webhook latency: after the run ended, and after it was created. */
export async function measureWebhooks(ctx) {
  const { webhooks: n, webhookWarmup } = ctx.counts;
  const { values, roundsDone } = await measureRounds({
    rounds: ctx.rounds,
    deadline: ctx.deadline,
    warmup: () => webhooks(ctx, webhookWarmup),
    round: async () => {
      const results = await webhooks(ctx, n);
      const afterEnd = results.map((r) => r.afterEnd);
      const afterCreate = results.map((r) => r.afterCreate);
      return {
        webhook_end_p50: percentile(afterEnd, 50),
        webhook_end_p99: percentile(afterEnd, 99),
        webhook_create_p50: percentile(afterCreate, 50),
        webhook_create_p99: percentile(afterCreate, 99),
      };
    },
  });
  return {
    samples: describeSamples("webhook runs", n, roundsDone, ctx.rounds, webhookWarmup),
    metrics: Object.entries(values).map(([id, v]) => metric(id, v.value, { rounds: v.rounds })),
  };
}
