/** A reader's side of a live channel: the messages it has not taken yet, and whether it must catch up. */

import type { StreamEvent } from "../bus.js";
import { parseEventId, type EventKey } from "../event-ids.js";
import type { ChannelListener } from "./subscriptions.js";

export type LiveMessage = { kind: "event"; runId: string; key: EventKey; event: StreamEvent } | { kind: "end"; runId: string };

/**
 * Parses what the publish and end scripts send: `id \n run \n event \n data` or `id \n run`.
 * Event data is JSON text, which never holds a raw line break: the last one ends the event name.
 */
export function parseLiveMessage(text: string): LiveMessage | undefined {
  const idEnd = text.indexOf("\n");
  if (idEnd === -1) return undefined;
  const runEnd = text.indexOf("\n", idEnd + 1);
  if (runEnd === -1) return { kind: "end", runId: text.slice(idEnd + 1) };
  const id = text.slice(0, idEnd);
  const key = parseEventId(id);
  const eventEnd = text.lastIndexOf("\n");
  if (!key || eventEnd === runEnd) return undefined;
  return {
    kind: "event",
    runId: text.slice(idEnd + 1, runEnd),
    key,
    event: { id, event: text.slice(runEnd + 1, eventEnd), data: text.slice(eventEnd + 1) },
  };
}

/**
 * Live messages held for a reader that is busy (replaying, or waiting on a slow client): past
 * this many it drops them and catches up from the stream instead, so a slow reader costs
 * bounded memory.
 */
const MAX_QUEUED = 1_000;

export class LiveInbox implements ChannelListener {
  private queue: LiveMessage[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private recheck: NodeJS.Timeout | undefined;
  /** Live messages may be missing (at the start, after a reconnect or an overflow): read the stored ones first. */
  catchUp = true;
  /** The process is shutting down: the reader ends. */
  closed = false;

  message(text: string): void {
    const message = parseLiveMessage(text);
    if (!message) return;
    if (this.queue.length - this.head >= MAX_QUEUED) {
      this.queue = [];
      this.head = 0;
      this.catchUp = true;
    } else {
      this.queue.push(message);
    }
    this.wake?.();
  }

  resync(): void {
    this.catchUp = true;
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** Catches up again after `ms`, live messages or not (one pending recheck at a time). */
  recheckIn(ms: number): void {
    this.recheck ??= setTimeout(() => {
      this.recheck = undefined;
      this.resync();
    }, ms);
  }

  /** The reader is done: no timer may outlive it. */
  dispose(): void {
    clearTimeout(this.recheck);
    this.recheck = undefined;
  }

  take(): LiveMessage | undefined {
    if (this.head === this.queue.length) return undefined;
    const message = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return message;
  }

  /** Resolves on the next message, resync or close, or when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    // An abort listener added to an aborted signal never fires.
    if (this.closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.wake = undefined;
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.wake = done;
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
