import { metric } from "./metrics.js";
import { measureRounds } from "./rounds.js";
import { echoWaits } from "./runs.js";

/** (2) Runs completed per second with 16 and 64 stateless runs.wait calls in flight. */
export async function measureThroughput(ctx) {
  const metrics = [];
  const samples = [];
  for (const [concurrency, total] of [[16, ctx.counts.throughputRuns16], [64, ctx.counts.throughputRuns64]]) {
    const { values, roundsDone } = await measureRounds({
      rounds: ctx.rounds,
      deadline: ctx.deadline,
      // Warm-up at the same concurrency: opens the client's connections and fills the server's pools.
      warmup: () => echoWaits(ctx, concurrency, concurrency),
      round: async () => {
        const { completed, wallMs } = await echoWaits(ctx, total, concurrency);
        return { [`throughput_c${concurrency}`]: completed / (wallMs / 1000) };
      },
    });
    const { value, rounds } = values[`throughput_c${concurrency}`];
    metrics.push(metric(`throughput_c${concurrency}`, value, { rounds }));
    samples.push(`c=${concurrency}: ${total} runs × ${roundsDone} rounds (+${concurrency} warm-up)`);
  }
  return { samples: samples.join("; "), metrics };
}
