/**
 * In-process fan-out of run stream events. Each run has a channel holding its events in order
 * (so a client can join late or reconnect with `Last-Event-ID`), kept for a while after the run
 * ends. Event data is serialised once, at publish time.
 */
export interface StreamEvent {
  /** Process-wide increasing id, used as the SSE `id:`. */
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

export class RunStreams {
  private readonly channels = new Map<string, Channel>();
  private readonly threadWatchers = new Map<string, Set<() => void>>();
  private nextId = 0;

  constructor(private readonly retentionMs = 5 * 60_000) {}

  /** Opens the channel of a run that was just created. */
  open(runId: string, threadId: string): void {
    if (!this.channels.has(runId)) this.channels.set(runId, { threadId, events: [], done: false, waiters: new Set() });
  }

  has(runId: string): boolean {
    return this.channels.has(runId);
  }

  publish(runId: string, event: string, data: unknown): void {
    const channel = this.channels.get(runId);
    if (!channel || channel.done) return;
    channel.events.push({ id: String(++this.nextId), event, data: JSON.stringify(data ?? null) });
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

  private notify(channel: Channel): void {
    for (const wake of channel.waiters) wake();
    for (const wake of this.threadWatchers.get(channel.threadId) ?? []) wake();
  }

  /** The run's events after `lastEventId` (all of them without it), then live ones until the run ends. */
  async *subscribe(runId: string, options: SubscribeOptions = {}): AsyncGenerator<StreamEvent> {
    const channel = this.channels.get(runId);
    if (!channel) return;
    let index = startIndex(channel.events, options.lastEventId);
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
    const after = options.lastEventId !== undefined ? Number(options.lastEventId) : this.nextId;
    let cursor = Number.isFinite(after) ? after : this.nextId;
    let watchers = this.threadWatchers.get(threadId);
    if (!watchers) this.threadWatchers.set(threadId, (watchers = new Set()));
    try {
      while (!options.signal?.aborted) {
        const pending = [...this.channels.values()]
          .filter((channel) => channel.threadId === threadId)
          .flatMap((channel) => channel.events.filter((event) => Number(event.id) > cursor))
          .sort((a, b) => Number(a.id) - Number(b.id));
        for (const event of pending) {
          cursor = Number(event.id);
          yield event;
        }
        await waitFor(watchers, options.signal);
      }
    } finally {
      if (watchers.size === 0) this.threadWatchers.delete(threadId);
    }
  }
}

function startIndex(events: StreamEvent[], lastEventId: string | undefined): number {
  if (lastEventId === undefined) return 0;
  const index = events.findIndex((event) => event.id === lastEventId);
  return index === -1 ? 0 : index + 1;
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
