/**
 * Redis restarted under load (a private redis-server, SIGKILLed and started again, empty): the
 * buses report it down meanwhile, never crash or hang, and carry on once it is back.
 */

import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Bus, StreamEvent } from "../../src/bus/bus.js";
import { openRedisBus } from "../../src/bus/redis/index.js";
import { expectIncreasingIds } from "./bus-behaviour.js";
import { eventually, PrivateRedis, RecordingLogger } from "./redis-helpers.js";

const password = `pw-${randomBytes(8).toString("hex")}`;
let server: PrivateRedis;
const logs = { a: new RecordingLogger(), b: new RecordingLogger() };
let a: Bus;
let b: Bus;

beforeAll(async () => {
  server = await PrivateRedis.start(password);
  a = await openRedisBus({ uri: server.uri, prefix: "hg:", logger: logs.a });
  b = await openRedisBus({ uri: server.uri, prefix: "hg:", logger: logs.b });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.kill();
});

test("a restart loses what Redis held, not the processes: readers, publishers and signals carry on", async () => {
  // Load: a run publishing every 2 ms, read on the other process, plus 20 other runs' events.
  const run = randomUUID();
  a.streams.open(run, "t");
  let published = 0;
  const others = Array.from({ length: 20 }, () => randomUUID());
  for (const other of others) a.streams.open(other, "t-other");
  const publisher = setInterval(() => {
    a.streams.publish(run, "values", (published += 1));
    for (const other of others) a.streams.publish(other, "values", published);
  }, 2);
  const seen: StreamEvent[] = [];
  const reader = (async () => {
    for await (const event of b.streams.subscribe(run)) seen.push(event);
  })();
  let wakesOnB = 0;
  b.signals.onWakeRuns(() => (wakesOnB += 1));
  await eventually(() => expect(seen.length).toBeGreaterThan(20));

  await server.kill();
  await eventually(() => Promise.all([expect(a.ping()).rejects.toThrow(/unreachable/), expect(b.ping()).rejects.toThrow(/unreachable/)]));
  // Everything keeps being called while Redis is down: nothing throws, nothing waits for it.
  const publishedWhenDown = published;
  a.signals.wakeRuns();
  a.signals.runEnded(randomUUID(), { status: "success" });
  await expect(a.streams.has(run)).rejects.toThrow();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(published).toBeGreaterThan(publishedWhenDown);

  await server.start();
  const restartedAt = published;
  await eventually(() => Promise.all([a.ping(), b.ping()]), 15_000);
  // B's subscriptions are back: it heard the reconnect as a wake-up, then hears A's signals again.
  await eventually(() => expect(wakesOnB).toBeGreaterThan(0));
  const wakesBefore = wakesOnB;
  a.signals.wakeRuns();
  await eventually(() => expect(wakesOnB).toBe(wakesBefore + 1));

  // The reader carries on with what A publishes after the restart (A reopened the run it knew).
  await eventually(() => expect(Number(seen.at(-1)?.data)).toBeGreaterThan(restartedAt), 15_000);
  clearInterval(publisher);
  a.streams.end(run);
  await reader;
  const values = seen.map((event) => Number(event.data));
  expect(new Set(values).size).toBe(values.length);
  expect([...values].sort((x, y) => x - y)).toEqual(values);
  expectIncreasingIds(seen);

  // A run started after the restart works end to end across the two, and so do run ends.
  const fresh = randomUUID();
  a.streams.open(fresh, "t");
  const freshReader = (async () => {
    const events: string[] = [];
    for await (const event of b.streams.subscribe(fresh)) events.push(event.data);
    return events;
  })();
  a.streams.publish(fresh, "values", "after");
  a.streams.end(fresh);
  expect(await freshReader).toEqual(['"after"']);
  const waiting = b.signals.awaitEnd(fresh);
  a.signals.runEnded(fresh, { status: "success", output: { ok: true } });
  expect(await waiting).toEqual({ status: "success", output: { ok: true } });

  // Both said what happened, once per loss and not per failed write, and never the password.
  for (const log of [logs.a, logs.b]) {
    expect(log.lines.filter((line) => line.msg === "lost the connection to Redis; reconnecting").length).toBeGreaterThan(0);
    expect(log.lines.filter((line) => line.msg === "reconnected to Redis").length).toBeGreaterThan(0);
    expect(log.lines.length).toBeLessThan(40);
    expect(log.text()).not.toContain(password);
  }
  expect(logs.a.lines.some((line) => line.msg.startsWith("writing run events to Redis failed"))).toBe(true);
});

test("a reader whose run Redis lost waits for it to come back instead of ending as if the run had", async () => {
  const run = randomUUID();
  b.streams.open(run, "t");
  b.streams.publish(run, "values", 1);
  await b.streams.has(run);
  const seen: string[] = [];
  let ended = false;
  const reader = (async () => {
    for await (const event of a.streams.subscribe(run)) seen.push(event.data);
    ended = true;
  })();
  await eventually(() => expect(seen).toEqual(["1"]));
  await server.kill();
  await server.start();
  await eventually(() => Promise.all([a.ping(), b.ping()]), 15_000);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(ended).toBe(false);
  // B still knows the run: its next event brings it back, and the reader goes on.
  b.streams.publish(run, "values", 2);
  b.streams.end(run);
  await reader;
  expect(seen).toEqual(["1", "2"]);
});
