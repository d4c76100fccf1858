import { percentile } from "../stats.js";
import { metric } from "./metrics.js";
import { describeSamples, measureRounds } from "./rounds.js";
import { echoWaits } from "./runs.js";

/** (1) Stateless runs.wait latency at concurrency 1. */
export async function measureLatency(ctx) {
  const { latencyRuns: n, warmup } = ctx.counts;
  const { values, roundsDone } = await measureRounds({
    rounds: ctx.rounds,
    deadline: ctx.deadline,
    warmup: () => echoWaits(ctx, warmup, 1),
    round: async () => {
      const { latencies } = await echoWaits(ctx, n, 1);
      return { wait_p50: percentile(latencies, 50), wait_p99: percentile(latencies, 99) };
    },
  });
  return {
    samples: describeSamples("runs", n, roundsDone, ctx.rounds, warmup),
    metrics: Object.entries(values).map(([id, v]) => metric(id, v.value, { rounds: v.rounds })),
  };
}
