import { afterEach, describe, expect, test, vi } from "vitest";
import { DEFAULT_STREAM_RETENTION, RunStreams, type StreamEvent } from "../../src/bus/run-streams.js";

async function drain(stream: AsyncIterable<StreamEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of stream) seen.push(`${event.event}:${event.data}`);
  return seen;
}

/** Opens, fills and ends one run's stream. */
function endedRun(streams: RunStreams, runId: string, threadId = `thread-${runId}`, data: unknown = runId): void {
  streams.open(runId, threadId);
  streams.publish(runId, "values", data);
  streams.end(runId);
}

afterEach(() => vi.useRealTimers());

describe("RunStreams retention of ended runs", () => {
  test("an ended run's events can be joined until the age limit, then the run is gone", async () => {
    vi.useFakeTimers({ now: 0 });
    const streams = new RunStreams({ ...DEFAULT_STREAM_RETENTION, maxAgeMs: 1_000 });
    endedRun(streams, "a");
    vi.setSystemTime(999);
    expect(await drain(streams.subscribe("a"))).toEqual(['values:"a"']);
    vi.setSystemTime(1_000);
    expect(streams.has("a")).toBe(false);
    expect(await drain(streams.subscribe("a"))).toEqual([]);
  });

  test("keeps at most maxRuns ended runs, dropping those that ended first; running ones are never dropped", () => {
    const streams = new RunStreams({ ...DEFAULT_STREAM_RETENTION, maxRuns: 2 });
    streams.open("running", "t");
    for (const id of ["a", "b", "c"]) endedRun(streams, id);
    expect(["running", "a", "b", "c"].map((id) => streams.has(id))).toEqual([true, false, true, true]);
  });

  test("keeps at most maxBytes of ended runs' event text", () => {
    const streams = new RunStreams({ ...DEFAULT_STREAM_RETENTION, maxBytes: 3_000 });
    for (const id of ["a", "b", "c"]) endedRun(streams, id, undefined, "x".repeat(1_000));
    expect(["a", "b", "c"].map((id) => streams.has(id))).toEqual([false, true, true]);
  });

  test("many small events count what they take in memory, not only their few bytes of text", () => {
    const streams = new RunStreams({ ...DEFAULT_STREAM_RETENTION, maxBytes: 100_000 });
    streams.open("chatty", "t");
    for (let i = 0; i < 1_000; i += 1) streams.publish("chatty", "custom", 1); // ~7 KB of text
    streams.end("chatty");
    expect(streams.has("chatty")).toBe(false);
    endedRun(streams, "small");
    expect(streams.has("small")).toBe(true);
  });

  test("a reader that joined before its run was dropped reads to the end", async () => {
    const streams = new RunStreams({ ...DEFAULT_STREAM_RETENTION, maxRuns: 1 });
    streams.open("a", "t");
    streams.publish("a", "values", 1);
    const reader = drain(streams.subscribe("a"));
    streams.publish("a", "values", 2);
    streams.end("a");
    endedRun(streams, "b");
    expect(streams.has("a")).toBe(false);
    expect(await reader).toEqual(["values:1", "values:2"]);
  });
});

describe("RunStreams thread join", () => {
  test("sees the events of its own thread's runs only, from every run, in order", async () => {
    const streams = new RunStreams();
    const stop = new AbortController();
    const seen: string[] = [];
    const reader = (async () => {
      for await (const event of streams.subscribeThread("t1", { signal: stop.signal })) {
        seen.push(`${event.event}:${event.data}`);
        if (seen.length === 3) stop.abort();
      }
    })();
    streams.open("r1", "t1");
    streams.open("r2", "t2");
    streams.publish("r1", "values", 1);
    streams.publish("r2", "values", "other thread");
    streams.end("r1");
    streams.open("r3", "t1");
    streams.publish("r3", "values", 2);
    streams.publish("r3", "values", 3);
    await reader;
    expect(seen).toEqual(["values:1", "values:2", "values:3"]);
  });

  test("resumes after Last-Event-ID across the thread's runs, then follows live events", async () => {
    const streams = new RunStreams();
    streams.open("r1", "t");
    streams.publish("r1", "values", 1);
    streams.publish("r1", "values", 2);
    streams.end("r1");
    streams.open("r2", "t");
    streams.publish("r2", "values", 3);
    const firstId = await (async () => {
      for await (const event of streams.subscribe("r1")) return event.id;
    })();
    const stop = new AbortController();
    const seen: string[] = [];
    const reader = (async () => {
      for await (const event of streams.subscribeThread("t", { signal: stop.signal, lastEventId: firstId })) {
        seen.push(event.data);
        if (seen.length === 4) stop.abort();
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));
    streams.publish("r2", "values", 4);
    streams.publish("r2", "values", 5);
    await reader;
    expect(seen).toEqual(["2", "3", "4", "5"]);
  });
});
