/**
 * Stream event ids, `<ms>-<seq>` (the Python server's and Redis Streams' format), as both bus
 * implementations order them: by milliseconds, then by the counter within the millisecond.
 */

/** Where an event stands in the order of all events: the `<ms>-<seq>` of its id, as numbers. */
export interface EventKey {
  readonly ms: number;
  readonly seq: number;
}

/** `1795759146153-4` → {ms: 1795759146153, seq: 4}; undefined for anything else (e.g. the SDK's "-1": all events). */
export function parseEventId(id: string | undefined): EventKey | undefined {
  const match = id === undefined ? null : /^(\d+)-(\d+)$/.exec(id);
  return match ? { ms: Number(match[1]), seq: Number(match[2]) } : undefined;
}

export function after(a: EventKey, b: EventKey): boolean {
  return a.ms > b.ms || (a.ms === b.ms && a.seq > b.seq);
}

export function formatEventId(key: EventKey): string {
  return `${key.ms}-${key.seq}`;
}
