/**
 * In-process fan-out of run stream events. Each run has a channel holding its events in order
 * (so a client can join late or reconnect with `Last-Event-ID`), kept for a while after the run
 * ends. Event data is serialised once, at publish time.
 */
export interface StreamEvent {
  /** `<ms>-<seq>` like the Python server's stream ids: increasing, also across restarts. */
  id: string;
  event: string;
  /** JSON text. */
  data: string;
}

interface Channel {
  threadId: string;
  events: StreamEvent[];
  done: boolean;
  waiters: Set<() => void>;
}

export interface SubscribeOptions {
  lastEventId?: string;
  signal?: AbortSignal;
}

type EventKey = readonly [number, number];

/** `1795759146153-4` → [1795759146153, 4]; undefined for anything else (e.g. the SDK's "-1": all events). */
function parseEventId(id: string | undefined): EventKey | undefined {
  const match = id === undefined ? null : /^(\d+)-(\d+)$/.exec(id);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

function after(a: EventKey, b: EventKey): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

export class RunStreams {
  private readonly channels = new Map<string, Channel>();
  private readonly threadWatchers = new Map<string, Set<() => void>>();
  private readonly keys = new WeakMap<StreamEvent, EventKey>();
  private lastKey: EventKey = [0, 0];

  constructor(private readonly retentionMs = 5 * 60_000) {}

  /** Opens the channel of a run that was just created (or is about to run). */
  open(runId: string, threadId: string): void {
    if (!this.channels.has(runId)) this.channels.set(runId, { threadId, events: [], done: false, waiters: new Set() });
  }

  has(runId: string): boolean {
    return this.channels.has(runId);
  }

  /** A fresh id: the wall clock in ms, then a counter within the ms (ids stay ordered across restarts). */
  private nextKey(): EventKey {
    const now = Date.now();
    this.lastKey = now > this.lastKey[0] ? [now, 0] : [this.lastKey[0], this.lastKey[1] + 1];
    return this.lastKey;
  }

  publish(runId: string, event: string, data: unknown): void {
    const channel = this.channels.get(runId);
    if (!channel || channel.done) return;
    const key = this.nextKey();
    const streamEvent = { id: `${key[0]}-${key[1]}`, event, data: JSON.stringify(data ?? null) };
    this.keys.set(streamEvent, key);
    channel.events.push(streamEvent);
    this.notify(channel);
  }

  /** Ends the run's stream; its events stay available for `retentionMs`. */
  end(runId: string): void {
    const channel = this.channels.get(runId);
    if (!channel || channel.done) return;
    channel.done = true;
    this.notify(channel);
    setTimeout(() => this.channels.delete(runId), this.retentionMs).unref();
  }

  /**
   * Ends every open stream and forgets every channel (server shutdown): readers finish, so HTTP can
   * close; a run taken back after the restart opens a new channel whose ids follow the old ones.
   */
  closeAll(): void {
    for (const [runId, channel] of this.channels) {
      channel.done = true;
      this.notify(channel);
      this.channels.delete(runId);
    }
  }

  private notify(channel: Channel): void {
    for (const wake of channel.waiters) wake();
    for (const wake of this.threadWatchers.get(channel.threadId) ?? []) wake();
  }

  /** The run's events after `lastEventId` (all of them without it), then live ones until the run ends. */
  async *subscribe(runId: string, options: SubscribeOptions = {}): AsyncGenerator<StreamEvent> {
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
    let cursor: EventKey = parseEventId(options.lastEventId) ?? this.lastKey;
    let watchers = this.threadWatchers.get(threadId);
    if (!watchers) this.threadWatchers.set(threadId, (watchers = new Set()));
    try {
      while (!options.signal?.aborted) {
        const pending = [...this.channels.values()]
          .filter((channel) => channel.threadId === threadId)
          .flatMap((channel) => channel.events.filter((event) => after(this.keys.get(event)!, cursor)))
          .sort((a, b) => (after(this.keys.get(a)!, this.keys.get(b)!) ? 1 : -1));
        // Events published while the reader was suspended in a yield are picked up by the next pass.
        if (pending.length === 0) await waitFor(watchers, options.signal);
        for (const event of pending) {
          cursor = this.keys.get(event)!;
          yield event;
        }
      }
    } finally {
      if (watchers.size === 0) this.threadWatchers.delete(threadId);
    }
  }

  /** Index of the first event after `lastEventId`; ids are ordered, so an id from before a restart works too. */
  private startIndex(events: StreamEvent[], lastEventId: string | undefined): number {
    const last = parseEventId(lastEventId);
    if (!last) return 0;
    const index = events.findIndex((event) => after(this.keys.get(event)!, last));
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
