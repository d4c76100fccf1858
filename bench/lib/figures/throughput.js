import { cpuGroups, cpuMeter } from "../proc.js";
import { median } from "../stats.js";
import { metric } from "./metrics.js";
import { measureRounds } from "./rounds.js";
import { echoWaits } from "./runs.js";

/** "server 2.10, postgres 1.30": CPU milliseconds per run of each group. */
function describePerRun(perRun) {
  return Object.entries(perRun).map(([name, ms]) => `${name} ${ms.toFixed(2)}`).join(", ");
}

/**
 * (2) Runs completed per second with 16 and 64 stateless runs.wait calls in flight. Each round
 * also reads the CPU: how busy the machine's cores were (whether more processes could still add
 * throughput) and the CPU time per run of the server and of the services it uses.
 */
export async function measureThroughput(ctx) {
  const metrics = [];
  const samples = [];
  for (const [concurrency, total] of [[16, ctx.counts.throughputRuns16], [64, ctx.counts.throughputRuns64]]) {
    const id = `throughput_c${concurrency}`;
    const cpu = [];
    const { values, roundsDone } = await measureRounds({
      rounds: ctx.rounds,
      deadline: ctx.deadline,
      // Warm-up at the same concurrency: opens the client's connections and fills the server's pools.
      warmup: () => echoWaits(ctx, concurrency, concurrency),
      round: async () => {
        const stop = cpuMeter(cpuGroups(ctx.server));
        const { completed, wallMs } = await echoWaits(ctx, total, concurrency);
        const used = stop();
        cpu.push({ machineBusy: used.machineBusy, perRun: Object.fromEntries(Object.entries(used.seconds).map(([name, s]) => [name, (s * 1000) / completed])) });
        return { [id]: completed / (wallMs / 1000) };
      },
    });
    const machineBusy = median(cpu.map((c) => c.machineBusy));
    const cpuMsPerRun = Object.fromEntries(Object.keys(cpu[0].perRun).map((name) => [name, median(cpu.map((c) => c.perRun[name]))]));
    metrics.push(metric(id, values[id].value, { rounds: values[id].rounds, machineBusy, cpuMsPerRun }));
    samples.push(
      `c=${concurrency}: ${total} runs × ${roundsDone} rounds (+${concurrency} warm-up), cores ${(machineBusy * 100).toFixed(0)}% busy, ` +
        `CPU ms per run: ${describePerRun(cpuMsPerRun)}`,
    );
  }
  return { samples: samples.join("; "), metrics };
}
