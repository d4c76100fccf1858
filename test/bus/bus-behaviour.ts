/**
 * What every `Bus` does the same, observed from outside: run against the memory bus and the
 * Redis bus (test/bus/memory-bus.test.ts, test/bus/redis-bus.test.ts).
 */

import { randomUUID } from "node:crypto";
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, test } from "vitest";
import type { Bus, RunStreams, StreamEvent } from "../../src/bus/bus.js";
import { parseEventId, after } from "../../src/bus/event-ids.js";
import { DEFAULT_STREAM_RETENTION, type StreamRetention } from "../../src/bus/memory/run-streams.js";
import type { RunEnd } from "../../src/queue/executor.js";

/** Opens a fresh bus of its own (nothing shared with other tests). */
export type OpenBus = (retention?: StreamRetention) => Promise<Bus>;

export async function drain(stream: AsyncIterable<StreamEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of stream) seen.push(`${event.event}:${event.data}`);
  return seen;
}

/** The first `count` events of the stream, then stops reading. */
export async function take(stream: AsyncIterable<StreamEvent>, count: number): Promise<StreamEvent[]> {
  const seen: StreamEvent[] = [];
  if (count === 0) return seen;
  for await (const event of stream) {
    seen.push(event);
    if (seen.length === count) break;
  }
  return seen;
}

export function expectIncreasingIds(events: StreamEvent[]): void {
  for (let i = 1; i < events.length; i += 1) {
    expect(after(parseEventId(events[i].id)!, parseEventId(events[i - 1].id)!), `${events[i].id} after ${events[i - 1].id}`).toBe(true);
  }
}

/** Opens, fills and ends one run's stream. */
function endedRun(streams: RunStreams, runId: string, data: unknown = runId): void {
  streams.open(runId, `thread-${runId}`);
  streams.publish(runId, "values", data);
  streams.end(runId);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function busBehaviour(name: string, openBus: OpenBus): void {
  const opened: Bus[] = [];
  const bus = async (retention?: StreamRetention) => {
    const opening = await openBus(retention);
    opened.push(opening);
    return opening;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((open) => open.close()));
  });

  describe(`${name}: run streams`, () => {
    test("a reader that joined first gets every event live, in order, and ends with the stream", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      const reader = drain(streams.subscribe(run));
      for (let i = 0; i < 50; i += 1) streams.publish(run, "values", { i });
      streams.end(run);
      expect(await reader).toEqual(Array.from({ length: 50 }, (_, i) => `values:{"i":${i}}`));
    });

    test("a late reader of an ended run replays it all; ids increase", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      streams.publish(run, "metadata", { run_id: run });
      streams.publish(run, "values", [1, "two"]);
      streams.publish(run, "custom", null);
      streams.end(run);
      const events: StreamEvent[] = [];
      for await (const event of streams.subscribe(run)) events.push(event);
      expect(events.map((event) => `${event.event}:${event.data}`)).toEqual([`metadata:{"run_id":"${run}"}`, 'values:[1,"two"]', "custom:null"]);
      expectIncreasingIds(events);
    });

    test("replays after Last-Event-ID, then follows live events until the end", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      for (let i = 1; i <= 4; i += 1) streams.publish(run, "values", i);
      const [, second] = await take(streams.subscribe(run), 2);
      const resumed: string[] = [];
      const reader = (async () => {
        for await (const event of streams.subscribe(run, { lastEventId: second.id })) {
          resumed.push(event.data);
          if (resumed.length === 2) {
            streams.publish(run, "values", 5);
            streams.end(run);
          }
        }
      })();
      await reader;
      expect(resumed).toEqual(["3", "4", "5"]);
    });

    test("an id that is not <ms>-<seq> (the SDK's -1) replays everything", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      streams.publish(run, "values", 1);
      streams.end(run);
      expect(await drain(streams.subscribe(run, { lastEventId: "-1" }))).toEqual(["values:1"]);
    });

    test("a run never opened has no stream: readers end at once, has and kept say so", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.publish(run, "values", "dropped");
      expect(await drain(streams.subscribe(run))).toEqual([]);
      expect(await streams.has(run)).toBe(false);
      expect(await streams.kept(run, 10)).toEqual({ kept: false, items: [], omitted: 0 });
    });

    test("an open run has a stream before its first event; events after the end are dropped", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      streams.open(run, "t");
      expect(await streams.has(run)).toBe(true);
      streams.publish(run, "values", 1);
      streams.end(run);
      streams.publish(run, "values", "late");
      streams.end(run);
      expect(await drain(streams.subscribe(run))).toEqual(["values:1"]);
    });

    test("kept: the newest events, oldest first, and how many were left out", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      expect(await streams.kept(run, 2)).toEqual({ kept: true, items: [], omitted: 0 });
      for (let i = 1; i <= 5; i += 1) streams.publish(run, "values", i);
      const running = await streams.kept(run, 2);
      expect(running.items.map((event) => event.data)).toEqual(["4", "5"]);
      expect(running.omitted).toBe(3);
      streams.end(run);
      const ended = await streams.kept(run, 10);
      expect(ended.items.map((event) => event.data)).toEqual(["1", "2", "3", "4", "5"]);
      expect(ended).toMatchObject({ kept: true, omitted: 0 });
      expect(ended.items.map((event) => event.id)).toEqual((await take(streams.subscribe(run), 5)).map((event) => event.id));
    });

    test("closeAll ends every reader this process serves", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      streams.publish(run, "values", 1);
      const runReader = drain(streams.subscribe(run));
      const threadReader = drain(streams.subscribeThread("t"));
      await take(streams.subscribe(run), 1);
      await sleep(50);
      streams.closeAll();
      expect(await runReader).toEqual(["values:1"]);
      expect(await threadReader).toEqual([]);
    });

    test("a reader stops when its signal aborts", async () => {
      const { streams } = await bus();
      const run = randomUUID();
      streams.open(run, "t");
      const stop = new AbortController();
      const reader = drain(streams.subscribe(run, { signal: stop.signal }));
      streams.publish(run, "values", 1);
      await sleep(50);
      stop.abort();
      expect(await reader).toEqual(["values:1"]);
    });
  });

  describe(`${name}: thread join`, () => {
    test("sees the events of its own thread's runs only, from every run, in order, from now on", async () => {
      const { streams } = await bus();
      const [t1, t2, r0, r1, r2, r3] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      streams.open(r0, t1);
      streams.publish(r0, "values", "before the join");
      await streams.has(r0);
      const stop = new AbortController();
      const seen: string[] = [];
      const reader = (async () => {
        for await (const event of streams.subscribeThread(t1, { signal: stop.signal })) {
          seen.push(`${event.event}:${event.data}`);
          if (seen.length === 4) stop.abort();
        }
      })();
      streams.publish(r0, "values", 0);
      streams.end(r0);
      streams.open(r1, t1);
      streams.open(r2, t2);
      streams.publish(r1, "values", 1);
      streams.publish(r2, "values", "other thread");
      streams.end(r1);
      streams.open(r3, t1);
      streams.publish(r3, "values", 2);
      streams.publish(r3, "values", 3);
      await reader;
      expect(seen).toEqual(["values:0", "values:1", "values:2", "values:3"]);
    });

    test("resumes after Last-Event-ID across the thread's runs, then follows live events", async () => {
      const { streams } = await bus();
      const [thread, r1, r2] = [randomUUID(), randomUUID(), randomUUID()];
      streams.open(r1, thread);
      streams.publish(r1, "values", 1);
      streams.publish(r1, "values", 2);
      streams.end(r1);
      streams.open(r2, thread);
      streams.publish(r2, "values", 3);
      const [first] = await take(streams.subscribe(r1), 1);
      const stop = new AbortController();
      const seen: string[] = [];
      const reader = (async () => {
        for await (const event of streams.subscribeThread(thread, { signal: stop.signal, lastEventId: first.id })) {
          seen.push(event.data);
          if (seen.length === 2) {
            streams.publish(r2, "values", 4);
            streams.publish(r2, "values", 5);
          }
          if (seen.length === 4) stop.abort();
        }
      })();
      await reader;
      expect(seen).toEqual(["2", "3", "4", "5"]);
    });

    test("'0-0' replays everything the thread's runs still hold", async () => {
      const { streams } = await bus();
      const [thread, r1, r2] = [randomUUID(), randomUUID(), randomUUID()];
      for (const [run, value] of [[r1, 1], [r2, 2]] as const) {
        streams.open(run, thread);
        streams.publish(run, "values", value);
        streams.end(run);
      }
      const stop = new AbortController();
      const events = await take(streams.subscribeThread(thread, { signal: stop.signal, lastEventId: "0-0" }), 2);
      stop.abort();
      expect(events.map((event) => event.data)).toEqual(["1", "2"]);
      expectIncreasingIds(events);
    });
  });

  describe(`${name}: retention of ended runs`, () => {
    test("an ended run's events can be joined until the age limit, then the run is gone", async () => {
      const { streams } = await bus({ ...DEFAULT_STREAM_RETENTION, maxAgeMs: 400 });
      const run = randomUUID();
      endedRun(streams, run);
      expect(await drain(streams.subscribe(run))).toEqual([`values:"${run}"`]);
      await sleep(600);
      expect(await streams.has(run)).toBe(false);
      expect(await drain(streams.subscribe(run))).toEqual([]);
    });

    test("keeps at most maxRuns ended runs, dropping those that ended first; running ones are never dropped", async () => {
      const { streams } = await bus({ ...DEFAULT_STREAM_RETENTION, maxRuns: 2 });
      const [running, a, b, c] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      streams.open(running, "t");
      for (const id of [a, b, c]) endedRun(streams, id);
      expect(await Promise.all([running, a, b, c].map((id) => streams.has(id)))).toEqual([true, false, true, true]);
    });

    test("keeps at most maxBytes of ended runs' events", async () => {
      // Each bus counts what a run takes in its store (the heap; Redis's MEMORY USAGE, ~120 KB here):
      // two such runs fit in either, three in neither.
      const { streams } = await bus({ ...DEFAULT_STREAM_RETENTION, maxBytes: 270_000 });
      const runs = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of runs) endedRun(streams, id, "x".repeat(100_000));
      expect(await Promise.all(runs.map((id) => streams.has(id)))).toEqual([false, true, true]);
    });

    test("a reader following a run when it is dropped reads to the end", async () => {
      const { streams } = await bus({ ...DEFAULT_STREAM_RETENTION, maxRuns: 1 });
      const [a, b] = [randomUUID(), randomUUID()];
      streams.open(a, "t");
      streams.publish(a, "values", 1);
      const seen: string[] = [];
      for await (const event of streams.subscribe(a)) {
        seen.push(event.data);
        if (seen.length === 1) {
          streams.publish(a, "values", 2);
          streams.end(a);
          endedRun(streams, b);
        }
      }
      expect(await streams.has(a)).toBe(false);
      expect(seen).toEqual(["1", "2"]);
    });
  });

  describe(`${name}: signals`, () => {
    test("listeners in the sending process are called at once; unsubscribing stops them", async () => {
      const { signals } = await bus();
      const heard: string[] = [];
      const stops = [
        signals.onWakeRuns(() => heard.push("runs")),
        signals.onWakeDeliveries(() => heard.push("deliveries")),
        signals.onCronsChanged(() => heard.push("crons")),
        signals.onCancelRun((runId, action) => heard.push(`cancel ${runId} ${action}`)),
      ];
      signals.wakeRuns();
      signals.wakeDeliveries();
      signals.cronsChanged();
      signals.cancelRun("r1", "rollback");
      expect(heard).toEqual(["runs", "deliveries", "crons", "cancel r1 rollback"]);
      for (const stop of stops) stop();
      signals.wakeRuns();
      signals.cancelRun("r2", "interrupt");
      expect(heard).toHaveLength(4);
    });

    test("an end is kept for late joiners and answers awaitEnd at once", async () => {
      const { signals } = await bus();
      const run = randomUUID();
      const end: RunEnd = { status: "success", output: { values: [1, 2] } };
      expect(await signals.recentEnd(run)).toBeUndefined();
      signals.runEnded(run, end);
      expect(await signals.recentEnd(run)).toEqual(end);
      expect(await signals.awaitEnd(run)).toEqual(end);
    });

    test("awaitEnd waits for the end; once settled it leaves no listener on the caller's signal", async () => {
      const { signals } = await bus();
      const run = randomUUID();
      const stop = new AbortController();
      const waiting = signals.awaitEnd(run, stop.signal);
      await sleep(20);
      signals.runEnded(run, { status: "interrupted" });
      expect(await waiting).toEqual({ status: "interrupted" });
      expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
    });

    test("an aborted awaitEnd is forgotten: it never resolves and leaves no listener behind", async () => {
      const { signals } = await bus();
      const run = randomUUID();
      const stop = new AbortController();
      let resolved = false;
      void signals.awaitEnd(run, stop.signal).then(() => (resolved = true));
      stop.abort();
      const aborted = AbortSignal.abort();
      void signals.awaitEnd(run, aborted).then(() => (resolved = true));
      expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
      expect(getEventListeners(aborted, "abort")).toHaveLength(0);
      signals.runEnded(run, { status: "success" });
      await signals.recentEnd(run);
      await sleep(20);
      expect(resolved).toBe(false);
    });
  });
}
