/** Reading run streams as Redis stores them: entries after a position, page by page, per run or merged per thread. */

import type { Redis } from "ioredis";
import type { StreamEvent } from "../bus.js";
import { after, formatEventId, parseEventId, type EventKey } from "../event-ids.js";
import type { RedisKeys } from "./keys.js";

/** Stored entries read per round trip. */
const PAGE = 100;

export const START: EventKey = { ms: 0, seq: 0 };

/** A stored stream entry: an event, or (without `event`) the end. */
export interface StoredEntry {
  runId: string;
  key: EventKey;
  event?: StreamEvent;
}

/** A stream entry as the write script makes it: `e <event> d <data>`, or `end ""`. */
export function toEntry(runId: string, id: string, fields: string[]): StoredEntry {
  const key = parseEventId(id)!;
  if (fields[0] === "end") return { runId, key };
  return { runId, key, event: { id, event: fields[1], data: fields[3] } };
}

export class StoredStreams {
  /** @param beforeRead sends this process's queued writes, so that a read sees them */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly beforeRead: () => void,
  ) {}

  /** One page of the run's entries after `from`; `full` when more may follow; whether Redis still holds the run. */
  async page(runId: string, from: EventKey): Promise<{ entries: StoredEntry[]; full: boolean; exists: boolean }> {
    this.beforeRead();
    const [page, exists] = await Promise.all([
      this.redis.xrange(this.keys.runEvents(runId), `(${formatEventId(from)}`, "+", "COUNT", PAGE),
      this.redis.exists(this.keys.runMeta(runId)),
    ]);
    return { entries: page.map(([id, fields]) => toEntry(runId, id, fields)), full: page.length === PAGE, exists: exists === 1 };
  }

  /** The run's entries after `from`. */
  async *ofRun(runId: string, from: EventKey): AsyncGenerator<StoredEntry> {
    for (let position = from; ; ) {
      const { entries, full } = await this.page(runId, position);
      yield* entries;
      if (!full) return;
      position = entries[entries.length - 1].key;
    }
  }

  /** The entries of the thread's runs after each run's position (`from` for runs not in `positions`), merged in id order. */
  async *ofThread(threadId: string, positions: ReadonlyMap<string, EventKey>, from: EventKey): AsyncGenerator<StoredEntry> {
    this.beforeRead();
    const runs = await this.redis.zrange(this.keys.threadRuns(threadId), "0", "-1");
    const sources = runs.map((runId) => this.ofRun(runId, positions.get(runId) ?? from));
    const next = async (i: number) => {
      const step = await sources[i].next();
      return step.done ? undefined : step.value;
    };
    const heads = await Promise.all(sources.map((_, i) => next(i)));
    for (;;) {
      let first: number | undefined;
      heads.forEach((head, i) => {
        if (head && (first === undefined || after(heads[first]!.key, head.key))) first = i;
      });
      if (first === undefined) return;
      yield heads[first]!;
      heads[first] = await next(first);
    }
  }
}
