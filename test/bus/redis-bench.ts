/**
 * How much the Redis bus costs in one Node process: `npx tsx test/bus/redis-bench.ts`.
 * Prints events/s published (and read, with one reader per run) and Node CPU per event, then a
 * steady load of many short runs. Uses the machine's Redis under a prefix of its own.
 */

import { randomUUID } from "node:crypto";
import type { Bus } from "../../src/bus/bus.js";
import { openRedisBus } from "../../src/bus/redis/index.js";
import { createRedisPrefix, REDIS_URI } from "../helpers/postgres.js";

const payload = { messages: [{ type: "ai", content: "x".repeat(150), id: "run-1" }], step: 3 };

function cpuMs(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

/** Publishes `events` events on each of `runs` runs at once; with readers, until every reader has them all. */
async function burst(bus: Bus, runs: number, events: number, readers: boolean): Promise<void> {
  const ids = Array.from({ length: runs }, () => randomUUID());
  for (const id of ids) bus.streams.open(id, `thread-${id}`);
  const reading = readers
    ? ids.map(async (id) => {
        let count = 0;
        for await (const _ of bus.streams.subscribe(id)) count += 1;
        if (count !== events) throw new Error(`reader got ${count} of ${events}`);
      })
    : [];
  // Readers are listening (their first catch-up read answers after their subscription).
  await bus.streams.has(ids[0]);
  await new Promise((resolve) => setTimeout(resolve, readers ? 200 : 0));
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < events; i += 1) for (const id of ids) bus.streams.publish(id, "values", payload);
  for (const id of ids) bus.streams.end(id);
  // Commands run in order: once this answers, every publish before it is in Redis.
  await bus.streams.has(ids[0]);
  await Promise.all(reading);
  const ms = performance.now() - started;
  const total = runs * events;
  console.log(
    `${readers ? "publish + read" : "publish      "}  ${runs} runs × ${events} events: ${Math.round((total / ms) * 1000)} events/s, ` +
      `${((cpuMs(cpu) * 1000) / total).toFixed(1)} µs Node CPU per event`,
  );
}

/** Opens `perSecond` runs a second for `seconds`, each with a reader and a few events; reports Node's CPU use. */
async function steady(bus: Bus, perSecond: number, seconds: number, events: number): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const readers: Promise<number>[] = [];
  const tickMs = 10;
  const perTick = (perSecond * tickMs) / 1000;
  for (let tick = 0; tick < (seconds * 1000) / tickMs; tick += 1) {
    for (let i = 0; i < perTick; i += 1) {
      const id = randomUUID();
      bus.streams.open(id, `thread-${id}`);
      readers.push(
        (async () => {
          let count = 0;
          for await (const _ of bus.streams.subscribe(id)) count += 1;
          return count;
        })(),
      );
      bus.streams.publish(id, "metadata", { run_id: id, attempt: 1 });
      for (let e = 1; e < events; e += 1) bus.streams.publish(id, "values", payload);
      bus.streams.end(id);
      bus.signals.runEnded(id, { status: "success", output: payload });
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  const counts = await Promise.all(readers);
  const wall = performance.now() - started;
  const missing = counts.filter((count) => count !== events).length;
  console.log(
    `steady         ${perSecond} runs/s × ${events} events (+ a reader and a run end each) for ${seconds} s: ` +
      `Node CPU ${((cpuMs(cpu) / wall) * 100).toFixed(0)}% of one core, ${missing} readers short`,
  );
}

const prefix = createRedisPrefix();
const bus = await openRedisBus({ uri: REDIS_URI, prefix: prefix.prefix, logger: console });
try {
  await burst(bus, 1, 1_000, false); // warm-up
  await burst(bus, 100, 200, false);
  await burst(bus, 1_000, 20, false);
  await burst(bus, 100, 200, true);
  await burst(bus, 1_000, 20, true);
  await steady(bus, 200, 5, 6);
  await steady(bus, 500, 5, 6);
} finally {
  await bus.close();
  await prefix.clear();
}
