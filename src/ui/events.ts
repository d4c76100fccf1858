import type { RunStreams, StreamEvent } from "../bus/run-streams.js";

export interface KeptEvents {
  /** False when the server no longer holds the run's stream (it ended more than the retention ago). */
  kept: boolean;
  /** The newest `max` events, oldest first. */
  items: StreamEvent[];
  /** Events left out before the first shown. */
  omitted: number;
}

/**
 * The events the run stream still holds, read without waiting for live ones: `subscribe` yields
 * the held events at once (microtasks), so a step that is still unresolved after a macrotask
 * means the reader has reached the live edge, and the subscription is then cancelled.
 */
export async function keptEvents(streams: RunStreams, runId: string, max: number): Promise<KeptEvents> {
  if (!streams.has(runId)) return { kept: false, items: [], omitted: 0 };
  const stop = new AbortController();
  const iterator = streams.subscribe(runId, { signal: stop.signal });
  const items: StreamEvent[] = [];
  let seen = 0;
  for (;;) {
    const next = iterator.next();
    const idle = new Promise<"idle">((resolve) => setImmediate(() => resolve("idle")));
    const step = await Promise.race([next, idle]);
    if (step === "idle") {
      stop.abort();
      await next;
      break;
    }
    if (step.done) break;
    seen += 1;
    items.push(step.value);
    if (items.length > max) items.shift();
  }
  return { kept: true, items, omitted: seen - items.length };
}
