/** What only the memory bus does (the shared behaviour is in bus-behaviour.ts). */

import { afterEach, describe, expect, test, vi } from "vitest";
import type { StreamEvent } from "../../src/bus/bus.js";
import { DEFAULT_STREAM_RETENTION, MemoryRunStreams } from "../../src/bus/memory/run-streams.js";

async function drain(stream: AsyncIterable<StreamEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const event of stream) seen.push(`${event.event}:${event.data}`);
  return seen;
}

function endedRun(streams: MemoryRunStreams, runId: string): void {
  streams.open(runId, `thread-${runId}`);
  streams.publish(runId, "values", runId);
  streams.end(runId);
}

afterEach(() => vi.useRealTimers());

describe("MemoryRunStreams retention of ended runs", () => {
  test("the age limit is exact: joinable until its last millisecond", async () => {
    vi.useFakeTimers({ now: 0 });
    const streams = new MemoryRunStreams({ ...DEFAULT_STREAM_RETENTION, maxAgeMs: 1_000 });
    endedRun(streams, "a");
    vi.setSystemTime(999);
    expect(await drain(streams.subscribe("a"))).toEqual(['values:"a"']);
    vi.setSystemTime(1_000);
    expect(await streams.has("a")).toBe(false);
  });

  test("many small events count what they take in memory, not only their few bytes of text", async () => {
    const streams = new MemoryRunStreams({ ...DEFAULT_STREAM_RETENTION, maxBytes: 100_000 });
    streams.open("chatty", "t");
    for (let i = 0; i < 1_000; i += 1) streams.publish("chatty", "custom", 1); // ~7 KB of text
    streams.end("chatty");
    expect(await streams.has("chatty")).toBe(false);
    endedRun(streams, "small");
    expect(await streams.has("small")).toBe(true);
  });

  test("a reader that joined before its run was dropped reads to the end, even before it read anything", async () => {
    const streams = new MemoryRunStreams({ ...DEFAULT_STREAM_RETENTION, maxRuns: 1 });
    streams.open("a", "t");
    streams.publish("a", "values", 1);
    const reader = drain(streams.subscribe("a"));
    streams.publish("a", "values", 2);
    streams.end("a");
    endedRun(streams, "b");
    expect(await streams.has("a")).toBe(false);
    expect(await reader).toEqual(["values:1", "values:2"]);
  });
});
