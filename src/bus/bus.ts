/**
 * What crosses processes without being durable state: run stream events (with replay for late
 * joiners and `Last-Event-ID`) and signals (wake-ups, cancels, run ends, cron changes). PostgreSQL
 * or SQLite holds the truth; the bus only says, fast, that something happened.
 *
 * Two implementations: in-process (`memory/`, the embedded mode: one process, no Redis) and Redis
 * (`redis/`, any number of processes). Callers never know which one they hold.
 */

import type { RunEnd } from "../queue/executor.js";
import type { CancelAction } from "../storage/types.js";

export interface StreamEvent {
  /** `<ms>-<seq>` like the Python server's stream ids: increasing within a run, also across restarts. */
  id: string;
  event: string;
  /** JSON text. */
  data: string;
}

export interface SubscribeOptions {
  lastEventId?: string;
  signal?: AbortSignal;
}

/** The events a run's stream still holds (the dashboard shows them). */
export interface KeptEvents {
  /** False when the bus no longer holds the run's stream (it ended more than the retention ago). */
  kept: boolean;
  /** The newest `max` events, oldest first. */
  items: StreamEvent[];
  /** Events left out before the first shown. */
  omitted: number;
}

/**
 * Run stream events. Publishing is fire-and-forget and keeps the order of one run's events;
 * readers anywhere get them in that order, live, and can replay what the retention still holds.
 */
export interface RunStreams {
  /** A run was created or is about to execute: readers of it wait for its events from now on. */
  open(runId: string, threadId: string): void;
  publish(runId: string, event: string, data: unknown): void;
  /** The run's stream ends; its events stay readable as the retention allows. */
  end(runId: string): void;
  /** Whether the bus holds a stream for the run (open, or ended within the retention). */
  has(runId: string): Promise<boolean>;
  /** The run's events after `lastEventId` (all of them without it), then live ones until the run's stream ends. */
  subscribe(runId: string, options?: SubscribeOptions): AsyncIterable<StreamEvent>;
  /** Every event of every run on the thread, live, from now on (or after `lastEventId`), until the signal aborts. */
  subscribeThread(threadId: string, options?: SubscribeOptions): AsyncIterable<StreamEvent>;
  /** The newest `max` events the run's stream holds, without waiting for live ones. */
  kept(runId: string, max: number): Promise<KeptEvents>;
  /** Server shutdown: ends every reader this process serves, so HTTP can close. */
  closeAll(): void;
}

/**
 * Signals between processes. Each `on*` returns its unsubscribe. Listeners in the sending process
 * are called too (a `serve` process wakes its own worker without a round trip). Delivery is best
 * effort: whoever depends on a signal also has a slow safety poll of the database.
 */
export interface Signals {
  /** A run became due (created, or a thread's running run ended): queue workers claim. */
  wakeRuns(): void;
  onWakeRuns(listener: () => void): () => void;
  /** A webhook delivery became due (a run ended with one, a redelivery was asked for). */
  wakeDeliveries(): void;
  onWakeDeliveries(listener: () => void): () => void;
  /** A cron was created, updated or deleted: schedulers re-arm their timers. */
  cronsChanged(): void;
  onCronsChanged(listener: () => void): () => void;
  /** Asks whichever process executes the run to stop it (the database also records the request). */
  cancelRun(runId: string, action: CancelAction): void;
  onCancelRun(listener: (runId: string, action: CancelAction) => void): () => void;
  /** Tells waiters everywhere how a run ended; kept a while for late `join`s. */
  runEnded(runId: string, end: RunEnd): void;
  /** How the run ended, if it ended lately (within the retention of ends). */
  recentEnd(runId: string): Promise<RunEnd | undefined>;
  /**
   * Resolves when the run's end is signalled (at once when it already was, within the retention);
   * never rejects on its own: the caller races it with its safety poll, its signal and shutdown.
   */
  awaitEnd(runId: string, signal?: AbortSignal): Promise<RunEnd>;
  close(): Promise<void>;
}

/** What a process's bus is: both halves, opened together (one Redis connection set, or memory). */
export interface Bus {
  streams: RunStreams;
  signals: Signals;
  /** Answers when the bus is usable (Redis reachable); throws otherwise. For `/ok`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
