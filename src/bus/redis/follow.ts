/**
 * How every Redis stream reader runs, whatever it reads (one run, a thread): catch up from the
 * stored entries whenever its inbox says live messages may be missing (at the start, after a
 * reconnect, after an overflow), follow the live messages otherwise, until it stops.
 */

import type { StreamEvent } from "../bus.js";
import type { LiveInbox, LiveMessage } from "./live-inbox.js";

/** After a failed catch-up, how soon it is tried again even if nothing wakes the reader. */
const CATCH_UP_RETRY_MS = 1_000;

export interface Reader {
  /** Yields the stored events after the reader's position; returns true when its stream is over. */
  catchUp(): AsyncGenerator<StreamEvent, boolean>;
  /** What a live message gives the reader: an event, nothing (seen already, or not its own), or its stream's end. */
  live(message: LiveMessage): StreamEvent | "end" | undefined;
}

export interface FollowOptions {
  inbox: LiveInbox;
  signal?: AbortSignal;
  /** Ends the subscription the inbox listens on. */
  release(): void;
  /** A failed catch-up (Redis unreachable): reported, then retried at the next message or reconnect, or after a second. */
  onReadFailure(error: unknown): void;
}

export async function* follow(reader: Reader, { inbox, signal, release, onReadFailure }: FollowOptions): AsyncGenerator<StreamEvent> {
  const stopped = () => inbox.closed || signal?.aborted === true;
  try {
    while (!stopped()) {
      if (inbox.catchUp) {
        inbox.catchUp = false;
        try {
          const stored = reader.catchUp();
          let step = await stored.next();
          for (; !step.done; step = await stored.next()) {
            yield step.value;
            if (stopped()) return;
          }
          if (step.value) return;
        } catch (error) {
          onReadFailure(error);
          inbox.catchUp = true;
          // Not only at the next message or reconnect: the subscriber connection may be back before
          // the commands one (each reconnects on its own), and a run that ended meanwhile sends nothing more.
          inbox.recheckIn(CATCH_UP_RETRY_MS);
          await inbox.wait(signal);
        }
        continue;
      }
      const message = inbox.take();
      if (!message) {
        await inbox.wait(signal);
        continue;
      }
      const event = reader.live(message);
      if (event === "end") return;
      if (event) yield event;
    }
  } finally {
    inbox.dispose();
    release();
  }
}
