import { named } from "../client.js";
import { nowMs } from "../clock.js";
import { median } from "../stats.js";
import { metric } from "./metrics.js";
import { describeSamples, measureRounds } from "./rounds.js";
import { CUSTOM_EVENTS } from "./runs.js";

export const EVENTS_PER_RUN = 1000;

/** One stateless streamed run of the custom-events graph, timed from the request. */
async function streamOnce(client) {
  const t0 = nowMs();
  let firstEvent;
  let firstCustom;
  let lastCustom;
  let custom = 0;
  await named("POST /runs/stream (stateless, stream_mode custom)", async () => {
    const stream = client.runs.stream(null, CUSTOM_EVENTS, { input: { count: EVENTS_PER_RUN }, streamMode: "custom" });
    for await (const chunk of stream) {
      const t = nowMs();
      firstEvent ??= t;
      if (chunk.event === "error") throw new Error(`error event: ${JSON.stringify(chunk.data).slice(0, 200)}`);
      if (chunk.event === "custom") {
        firstCustom ??= t;
        lastCustom = t;
        custom += 1;
      }
    }
  });
  if (custom !== EVENTS_PER_RUN) throw new Error(`stream carried ${custom} custom events, expected ${EVENTS_PER_RUN}`);
  // The rate once events flow: the wait before the first one is the separate first-event figure.
  const flowingMs = Math.max(lastCustom - firstCustom, 0.001);
  return { firstEvent: firstEvent - t0, firstCustom: firstCustom - t0, eventsPerS: (custom - 1) / (flowingMs / 1000) };
}

async function streams(ctx, count) {
  const results = [];
  for (let i = 0; i < count; i += 1) {
    if (ctx.hardDeadline.passed()) throw new Error(`time budget ran out after ${i} of ${count} streams`);
    results.push(await streamOnce(ctx.client));
  }
  return results;
}

/** (3) Time to first SSE event and custom events/s on the 1,000-custom-event graph. */
export async function measureStreaming(ctx) {
  const { streams: n, streamWarmup } = ctx.counts;
  const { values, roundsDone } = await measureRounds({
    rounds: ctx.rounds,
    deadline: ctx.deadline,
    warmup: () => streams(ctx, streamWarmup),
    round: async () => {
      const results = await streams(ctx, n);
      return {
        stream_first_event: median(results.map((r) => r.firstEvent)),
        stream_first_custom: median(results.map((r) => r.firstCustom)),
        stream_events_per_s: median(results.map((r) => r.eventsPerS)),
      };
    },
  });
  return {
    samples: describeSamples(`streams of ${EVENTS_PER_RUN} events`, n, roundsDone, ctx.rounds, streamWarmup),
    metrics: Object.entries(values).map(([id, v]) => metric(id, v.value, { rounds: v.rounds })),
  };
}
