/**
 * In-process fan-out of run stream events (the embedded mode's `RunStreams`). Each run has a channel holding its events in order
 * (so a client can join late or reconnect with `Last-Event-ID`), kept for a while after the run
 * ends. Event data is serialised once, at publish time.
 */

import { RecentItems } from "../../recent-items.js";
import type { KeptEvents, RunStreams, StreamEvent, SubscribeOptions } from "../bus.js";
import { after, parseEventId, type EventKey } from "../event-ids.js";

/**
 * How long ended runs' events stay joinable: up to `maxAgeMs` after the end, for at most the
 * `maxRuns` most recent runs holding at most `maxBytes` of events, whichever bound bites first
 * (at hundreds of runs a second, five minutes of every run's values would pin gigabytes).
 */
export interface StreamRetention {
  maxAgeMs: number;
  maxRuns: number;
  maxBytes: number;
}

/**
 * What a kept event costs beyond its text (the event object with its order, its id string):
 * measured ~186 heap bytes for an event with 10 bytes of data. Counted, so that `maxBytes` bounds
 * memory for many small events too, not only for large ones.
 */
const EVENT_OVERHEAD_BYTES = 176;

export const DEFAULT_STREAM_RETENTION: StreamRetention = { maxAgeMs: 5 * 60_000, maxRuns: 10_000, maxBytes: 64 * 1024 * 1024 };

/** An event as kept: its order travels with it (cheaper than a side table per event). */
type KeptEvent = StreamEvent & EventKey;

interface Channel {
  runId: string;
  threadId: string;
  events: KeptEvent[];
  /** What the events take in memory, counted against `StreamRetention.maxBytes` once the run ends. */
  bytes: number;
  done: boolean;
  waiters: Set<() => void>;
}

export class MemoryRunStreams implements RunStreams {
  private readonly channels = new Map<string, Channel>();
  private readonly threadChannels = new Map<string, Set<Channel>>();
  /** Ended channels still kept; a channel dropped from here is forgotten (its readers keep it). */
  private readonly ended: RecentItems<string, Channel>;
  private readonly threadWatchers = new Map<string, Set<() => void>>();
  /** Counts `closeAll` calls: a thread reader ends when it changes (thread streams have no end of their own). */
  private closings = 0;
  private lastKey: EventKey = { ms: 0, seq: 0 };

  constructor(retention: StreamRetention = DEFAULT_STREAM_RETENTION) {
    const { maxAgeMs, maxRuns, maxBytes } = retention;
    this.ended = new RecentItems({ maxAgeMs, maxCount: maxRuns, maxWeight: maxBytes }, (_, channel) => this.forget(channel));
  }

  /** Opens the channel of a run that was just created (or is about to run). */
  open(runId: string, threadId: string): void {
    if (this.channels.has(runId)) return;
    const channel: Channel = { runId, threadId, events: [], bytes: 0, done: false, waiters: new Set() };
    this.channels.set(runId, channel);
    let ofThread = this.threadChannels.get(threadId);
    if (!ofThread) this.threadChannels.set(threadId, (ofThread = new Set()));
    ofThread.add(channel);
  }

  async has(runId: string): Promise<boolean> {
    this.ended.evict();
    return this.channels.has(runId);
  }

  async kept(runId: string, max: number): Promise<KeptEvents> {
    this.ended.evict();
    const channel = this.channels.get(runId);
    if (!channel) return { kept: false, items: [], omitted: 0 };
    const items = channel.events.slice(-max).map(({ id, event, data }) => ({ id, event, data }));
    return { kept: true, items, omitted: channel.events.length - items.length };
  }

  /** A fresh id: the wall clock in ms, then a counter within the ms (ids stay ordered across restarts). */
  private nextKey(): EventKey {
    const now = Date.now();
    this.lastKey = now > this.lastKey.ms ? { ms: now, seq: 0 } : { ms: this.lastKey.ms, seq: this.lastKey.seq + 1 };
    return this.lastKey;
  }

  publish(runId: string, event: string, data: unknown): void {
    const channel = this.channels.get(runId);
    if (!channel || channel.done) return;
    const { ms, seq } = this.nextKey();
    const streamEvent: KeptEvent = { id: `${ms}-${seq}`, event, data: JSON.stringify(data ?? null), ms, seq };
    channel.events.push(streamEvent);
    channel.bytes += streamEvent.data.length + event.length + EVENT_OVERHEAD_BYTES;
    this.notify(channel);
  }

  /** Ends the run's stream; its events stay available as `StreamRetention` allows. */
  end(runId: string): void {
    const channel = this.channels.get(runId);
    if (!channel || channel.done) return;
    channel.done = true;
    this.notify(channel);
    this.ended.add(runId, channel, channel.bytes);
  }

  private forget(channel: Channel): void {
    this.channels.delete(channel.runId);
    const ofThread = this.threadChannels.get(channel.threadId);
    ofThread?.delete(channel);
    if (ofThread?.size === 0) this.threadChannels.delete(channel.threadId);
  }

  /**
   * Ends every open stream and forgets every channel (server shutdown): readers finish, so HTTP can
   * close; a run taken back after the restart opens a new channel whose ids follow the old ones.
   */
  closeAll(): void {
    for (const channel of this.channels.values()) {
      channel.done = true;
      this.notify(channel);
      this.forget(channel);
    }
    this.ended.clear();
    this.closings += 1;
    for (const watchers of this.threadWatchers.values()) for (const wake of watchers) wake();
  }

  private notify(channel: Channel): void {
    for (const wake of channel.waiters) wake();
    for (const wake of this.threadWatchers.get(channel.threadId) ?? []) wake();
  }

  /** The run's events after `lastEventId` (all of them without it), then live ones until the run ends. */
  async *subscribe(runId: string, options: SubscribeOptions = {}): AsyncGenerator<StreamEvent> {
    this.ended.evict();
    const channel = this.channels.get(runId);
    if (!channel) return;
    let index = this.startIndex(channel.events, options.lastEventId);
    while (!options.signal?.aborted) {
      while (index < channel.events.length) yield channel.events[index++];
      if (channel.done) return;
      await waitFor(channel.waiters, options.signal);
    }
  }

  /**
   * Every event of every run on the thread, live, from now on (or after `lastEventId`), until the
   * signal aborts: the thread-level join.
   */
  async *subscribeThread(threadId: string, options: SubscribeOptions = {}): AsyncGenerator<StreamEvent> {
    const from: EventKey = parseEventId(options.lastEventId) ?? this.lastKey;
    // Per channel, how many of its events were taken: each pass reads only what is new, not every
    // event the thread's runs still hold.
    const taken = new WeakMap<Channel, number>();
    let watchers = this.threadWatchers.get(threadId);
    if (!watchers) this.threadWatchers.set(threadId, (watchers = new Set()));
    const closings = this.closings;
    try {
      while (!options.signal?.aborted && closings === this.closings) {
        const pending: KeptEvent[] = [];
        for (const channel of this.threadChannels.get(threadId) ?? []) {
          const events = channel.events;
          for (let i = taken.get(channel) ?? this.indexAfter(events, from); i < events.length; i += 1) pending.push(events[i]);
          taken.set(channel, events.length);
        }
        // Ids grow with every publish, so sorting each pass keeps the whole stream in order.
        pending.sort((a, b) => (after(a, b) ? 1 : -1));
        // Events published while the reader was suspended in a yield are picked up by the next pass.
        if (pending.length === 0) await waitFor(watchers, options.signal);
        for (const event of pending) yield event;
      }
    } finally {
      if (watchers.size === 0) this.threadWatchers.delete(threadId);
    }
  }

  /** Index of the first event after `lastEventId`; ids are ordered, so an id from before a restart works too. */
  private startIndex(events: KeptEvent[], lastEventId: string | undefined): number {
    const last = parseEventId(lastEventId);
    return last ? this.indexAfter(events, last) : 0;
  }

  /** Index of the first event after `key`. */
  private indexAfter(events: KeptEvent[], key: EventKey): number {
    const index = events.findIndex((event) => after(event, key));
    return index === -1 ? events.length : index;
  }
}

function waitFor(waiters: Set<() => void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      waiters.delete(wake);
      signal?.removeEventListener("abort", wake);
      resolve();
    };
    waiters.add(wake);
    signal?.addEventListener("abort", wake, { once: true });
  });
}
