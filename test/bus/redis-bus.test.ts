import { randomUUID } from "node:crypto";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { Redis } from "ioredis";
import type { Bus, StreamEvent } from "../../src/bus/bus.js";
import { openRedisBus, type RedisBusOptions } from "../../src/bus/redis/index.js";
import { RedisKeys } from "../../src/bus/redis/keys.js";
import { defineStreamScripts } from "../../src/bus/redis/scripts.js";
import { createRedisPrefix, REDIS_URI, type TestRedisPrefix } from "../helpers/postgres.js";
import { busBehaviour, drain, expectIncreasingIds, take } from "./bus-behaviour.js";
import { eventually, freePort, RecordingLogger } from "./redis-helpers.js";

const prefixes: TestRedisPrefix[] = [];
const buses: Bus[] = [];
const logger = new RecordingLogger();
const admin = new Redis(REDIS_URI);

function newPrefix(): string {
  const prefix = createRedisPrefix();
  prefixes.push(prefix);
  return prefix.prefix;
}

/** A bus standing for one process; buses opened on one prefix stand for processes of one cluster. */
async function processBus(prefix: string, options: Partial<RedisBusOptions> = {}): Promise<Bus> {
  const bus = await openRedisBus({ uri: REDIS_URI, prefix, logger, ...options });
  buses.push(bus);
  return bus;
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
});

afterAll(async () => {
  await Promise.all(prefixes.map((prefix) => prefix.clear()));
  admin.disconnect();
  // Nothing in these tests should have gone wrong with Redis.
  expect(logger.lines).toEqual([]);
});

busBehaviour("Redis bus", (retention) => openRedisBus({ uri: REDIS_URI, prefix: newPrefix(), logger, retention }));

/** Two processes of one cluster: A and B. */
async function cluster(options: Partial<RedisBusOptions> = {}): Promise<[Bus, Bus, string]> {
  const prefix = newPrefix();
  return [await processBus(prefix, options), await processBus(prefix, options), prefix];
}

describe("Redis bus across processes: run streams", () => {
  test("events published on A are read on B, live and replayed, with the same ids", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    a.streams.publish(run, "values", 1);
    await a.streams.has(run);
    const live = (async () => {
      const seen: StreamEvent[] = [];
      for await (const event of b.streams.subscribe(run)) {
        seen.push(event);
        if (seen.length === 1) for (let i = 2; i <= 20; i += 1) a.streams.publish(run, "values", i);
        if (seen.length === 20) a.streams.end(run);
      }
      return seen;
    })();
    const seen = await live;
    expect(seen.map((event) => event.data)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    expectIncreasingIds(seen);
    const replayedOnA = await take(a.streams.subscribe(run), 20);
    expect(replayedOnA).toEqual(seen);
  });

  test("Last-Event-ID from a reader on A resumes on B", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    for (let i = 1; i <= 5; i += 1) a.streams.publish(run, "values", i);
    a.streams.end(run);
    const [, , third] = await take(a.streams.subscribe(run), 3);
    expect(await drain(b.streams.subscribe(run, { lastEventId: third.id }))).toEqual(["values:4", "values:5"]);
  });

  test("a run taken over by another process keeps one stream: ids keep increasing, readers see both parts", async () => {
    const [a, b, prefix] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    a.streams.publish(run, "values", "first attempt");
    // Writes are batched: A's answer to has() means they are in Redis, for B to see.
    await a.streams.has(run);
    const reader = drain(b.streams.subscribe(run));
    await eventually(async () => expect((await b.streams.kept(run, 1)).items).toHaveLength(1));
    // A dies without ending the stream; a third process takes the run back.
    await a.close();
    const c = await processBus(prefix);
    c.streams.open(run, "t");
    c.streams.publish(run, "values", "second attempt");
    c.streams.end(run);
    expect(await reader).toEqual(['values:"first attempt"', 'values:"second attempt"']);
    const events = await take(c.streams.subscribe(run), 2);
    expectIncreasingIds(events);
  });

  test("has and kept see runs opened and published by other processes", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    await a.streams.has(run);
    expect(await b.streams.has(run)).toBe(true);
    a.streams.publish(run, "values", 1);
    a.streams.end(run);
    await a.streams.has(run);
    expect(await b.streams.kept(run, 5)).toMatchObject({ kept: true, omitted: 0, items: [{ event: "values", data: "1" }] });
  });

  test("a process that did not open the run can still end it; late events from anywhere are dropped", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    a.streams.publish(run, "values", 1);
    const reader = drain(a.streams.subscribe(run));
    await a.streams.has(run);
    b.streams.end(run);
    expect(await reader).toEqual(["values:1"]);
    a.streams.publish(run, "values", "after the end");
    await a.streams.has(run);
    expect(await drain(b.streams.subscribe(run))).toEqual(["values:1"]);
  });

  test("thread join on B follows runs opened and published on A, live and after Last-Event-ID", async () => {
    const [a, b, prefix] = await cluster();
    const [thread, r1, r2] = [randomUUID(), randomUUID(), randomUUID()];
    const stop = new AbortController();
    const seen: StreamEvent[] = [];
    const reader = (async () => {
      for await (const event of b.streams.subscribeThread(thread, { signal: stop.signal })) {
        seen.push(event);
        if (seen.length === 3) stop.abort();
      }
    })();
    // "From now" is where B's join found the thread: let it look (B's next command answers after
    // that) and listen before A sends anything.
    await b.streams.has(r1);
    const channel = `${prefix}events:thread:${thread}`;
    await eventually(async () => expect(await admin.pubsub("NUMSUB", channel)).toEqual([channel, 1]));
    a.streams.open(r1, thread);
    a.streams.publish(r1, "values", 1);
    a.streams.end(r1);
    a.streams.open(r2, thread);
    a.streams.publish(r2, "values", 2);
    a.streams.publish(r2, "values", 3);
    await reader;
    expect(seen.map((event) => event.data)).toEqual(["1", "2", "3"]);
    const resumed = await take(b.streams.subscribeThread(thread, { lastEventId: seen[0].id }), 2);
    expect(resumed).toEqual(seen.slice(1));
  });

  test("every local reader of a run shares one subscription, released when the last one leaves", async () => {
    const [a, , prefix] = await cluster();
    const run = randomUUID();
    const channel = `${prefix}events:run:${run}`;
    a.streams.open(run, "t");
    const readers = [1, 2, 3].map(() => drain(a.streams.subscribe(run)));
    await eventually(async () => expect(await admin.pubsub("NUMSUB", channel)).toEqual([channel, 1]));
    a.streams.publish(run, "values", 1);
    a.streams.end(run);
    expect(await Promise.all(readers)).toEqual([["values:1"], ["values:1"], ["values:1"]]);
    await eventually(async () => expect(await admin.pubsub("NUMSUB", channel)).toEqual([channel, 0]));
  });

  test("a reader too slow for a chatty run catches up from the stream: nothing missing, nothing twice", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    a.streams.publish(run, "values", 0);
    await a.streams.has(run);
    const count = 5_000;
    const seen: number[] = [];
    for await (const event of b.streams.subscribe(run)) {
      seen.push(Number(event.data));
      if (seen.length === 1) {
        for (let i = 1; i < count; i += 1) a.streams.publish(run, "values", i);
        a.streams.end(run);
        // Meanwhile this reader is busy: more live messages arrive than it holds.
        await eventually(async () => expect((await a.streams.kept(run, 1)).omitted).toBe(count - 1));
      }
    }
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  test("a run keeps at most about maxEventsPerRun events; kept still counts every event left out", async () => {
    const [a] = await cluster({ maxEventsPerRun: 100 });
    const run = randomUUID();
    a.streams.open(run, "t");
    for (let i = 0; i < 1_000; i += 1) a.streams.publish(run, "values", i);
    a.streams.end(run);
    const replayed = await drain(a.streams.subscribe(run));
    expect(replayed.length).toBeGreaterThanOrEqual(100);
    expect(replayed.length).toBeLessThan(1_000);
    expect(replayed.at(-1)).toBe("values:999");
    const kept = await a.streams.kept(run, 10);
    expect(kept.items.map((event) => event.data)).toEqual(["990", "991", "992", "993", "994", "995", "996", "997", "998", "999"]);
    expect(kept.omitted).toBe(990);
  });

  test("retention bounds hold for the cluster: runs ended by different processes count together", async () => {
    const [a, b] = await cluster({ retention: { maxAgeMs: 60_000, maxRuns: 2, maxBytes: 64 * 1024 * 1024 } });
    const runs = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, run] of runs.entries()) {
      const bus = i % 2 === 0 ? a : b;
      bus.streams.open(run, "t");
      bus.streams.publish(run, "values", i);
      bus.streams.end(run);
      await bus.streams.has(run);
    }
    expect(await Promise.all(runs.map((run) => a.streams.has(run)))).toEqual([false, true, true]);
  });

  test("a write batch resent after a dropped connection (Redis ran it, the reply was lost) applies once", async () => {
    const [a, , prefix] = await cluster();
    const { write } = defineStreamScripts(admin, new RedisKeys(prefix));
    const run = randomUUID();
    const limits = [100, 60_000, 10, 60_000, 10, 1_000_000];
    const batch = ["o", run, "t", "p", run, "t", "values", "1"];
    expect(await write("writer", 1, ...limits, ...batch)).toBe(1);
    expect(await write("writer", 1, ...limits, ...batch)).toBe(0);
    expect(await write("writer", 2, ...limits, "p", run, "t", "values", "2", "e", run, "t")).toBe(1);
    expect(await drain(a.streams.subscribe(run))).toEqual(["values:1", "values:2"]);
  });

  test("buses on different prefixes never see each other", async () => {
    const [a] = await cluster();
    const [other] = await cluster();
    const run = randomUUID();
    a.streams.open(run, "t");
    a.streams.publish(run, "values", 1);
    a.streams.end(run);
    expect(await a.streams.has(run)).toBe(true);
    expect(await other.streams.has(run)).toBe(false);
  });
});

describe("Redis bus across processes: signals", () => {
  test("wake-ups, cron changes and cancels reach the other process once, and the sender once", async () => {
    const [a, b] = await cluster();
    const heardOnA: string[] = [];
    const heardOnB: string[] = [];
    for (const [bus, heard] of [[a, heardOnA], [b, heardOnB]] as const) {
      bus.signals.onWakeRuns(() => heard.push("runs"));
      bus.signals.onWakeDeliveries(() => heard.push("deliveries"));
      bus.signals.onCronsChanged(() => heard.push("crons"));
      bus.signals.onCancelRun((runId, action) => heard.push(`cancel ${runId} ${action}`));
    }
    a.signals.wakeRuns();
    a.signals.wakeDeliveries();
    a.signals.cronsChanged();
    a.signals.cancelRun("r1", "interrupt");
    const sent = ["runs", "deliveries", "crons", "cancel r1 interrupt"];
    expect(heardOnA).toEqual(sent);
    await eventually(() => expect(heardOnB).toEqual(sent));
    // A hears B's reply after its own echo (one channel keeps the order): the echo was ignored.
    b.signals.cancelRun("r2", "rollback");
    await eventually(() => expect(heardOnA).toEqual([...sent, "cancel r2 rollback"]));
    expect(heardOnB).toEqual([...sent, "cancel r2 rollback"]);
  });

  test("awaitEnd on B for a run A ended just before resolves from the stored end", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    a.signals.runEnded(run, { status: "success", output: { answer: 42 } });
    await a.signals.recentEnd(run);
    expect(await b.signals.awaitEnd(run)).toEqual({ status: "success", output: { answer: 42 } });
    expect(await b.signals.recentEnd(run)).toEqual({ status: "success", output: { answer: 42 } });
  });

  test("awaitEnd on B for a run A ends just after resolves from the signal", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    const waiting = b.signals.awaitEnd(run);
    await b.signals.recentEnd(run);
    a.signals.runEnded(run, { status: "error", output: { __error__: { error: "ValueError", message: "boom" } } });
    expect(await waiting).toEqual({ status: "error", output: { __error__: { error: "ValueError", message: "boom" } } });
  });

  test("a large answer is stored whole and reaches waiters elsewhere", async () => {
    const [a, b] = await cluster();
    const run = randomUUID();
    const output = { values: { text: "x".repeat(200_000), list: Array.from({ length: 1_000 }, (_, i) => i) } };
    const waiting = b.signals.awaitEnd(run);
    await b.signals.recentEnd(run);
    a.signals.runEnded(run, { status: "success", output });
    expect(await waiting).toEqual({ status: "success", output });
  });

  test("ends are kept a minute and at most RECENT_ENDS.maxCount of them", async () => {
    const [a, , prefix] = await cluster();
    const run = randomUUID();
    a.signals.runEnded(run, { status: "success" });
    await a.signals.recentEnd(run);
    const ttl = await admin.pttl(`${prefix}run:${run}:end`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const later = Array.from({ length: 1_000 }, () => randomUUID());
    for (const id of later) a.signals.runEnded(id, { status: "success" });
    expect(await a.signals.recentEnd(run)).toBeUndefined();
    expect(await a.signals.recentEnd(later[0])).toEqual({ status: "success" });
  });
});

describe("Redis bus start-up and health", () => {
  test("ping answers while Redis is up", async () => {
    const [a] = await cluster();
    await expect(a.ping()).resolves.toBeUndefined();
  });

  test("an unreachable Redis fails the start naming REDIS_URI, without its password", async () => {
    const port = await freePort();
    const started = openRedisBus({ uri: `redis://:hunter2-secret@127.0.0.1:${port}/0`, logger, prefix: newPrefix() });
    await expect(started).rejects.toThrow(`cannot reach Redis at REDIS_URI=redis://127.0.0.1:${port}/0`);
    await started.catch((error: Error) => expect(error.message).not.toContain("hunter2"));
  });

  test("a REDIS_URI that is not redis:// is refused, redacted", async () => {
    await expect(openRedisBus({ uri: "http://user:hunter2@example.invalid/", logger })).rejects.toThrow(
      "REDIS_URI must be a redis:// or rediss:// URL, not http://example.invalid/",
    );
  });
});
