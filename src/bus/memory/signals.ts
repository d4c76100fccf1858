import type { Signals } from "../bus.js";
import type { CancelAction } from "../../storage/types.js";
import type { RunEnd } from "../../queue/executor.js";
import { RecentItems } from "../../recent-items.js";

/** A set of listeners; `add` answers the function that removes the listener again. */
export class Listeners<F extends (...args: never[]) => void> {
  private readonly listeners = new Set<F>();

  add(listener: F): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  call(...args: Parameters<F>): void {
    for (const listener of this.listeners) listener(...args);
  }
}

/**
 * How runs that ended lately ended, for `join` and `cancel?wait` calls just after the end. Only
 * the answer, and bounded: at hundreds of runs a second, a minute of whole results (input, values)
 * would pin hundreds of megabytes. A joiner of an evicted run gets the thread's stored state, as
 * the Python server answers every ended run.
 */
export const RECENT_ENDS = { maxAgeMs: 60_000, maxCount: 1_000 };

/** Signals within one process (the embedded mode): plain function calls, nothing serialised. */
export class MemorySignals implements Signals {
  private readonly wakeRunsListeners = new Listeners<() => void>();
  private readonly wakeDeliveriesListeners = new Listeners<() => void>();
  private readonly cronsListeners = new Listeners<() => void>();
  private readonly cancelListeners = new Listeners<(runId: string, action: CancelAction) => void>();
  private readonly recentEnds = new RecentItems<string, RunEnd>(RECENT_ENDS);
  /** Waiters of runs that have not ended yet, by run id. */
  private readonly waiters = new Map<string, Set<(end: RunEnd) => void>>();

  wakeRuns(): void {
    this.wakeRunsListeners.call();
  }

  onWakeRuns(listener: () => void): () => void {
    return this.wakeRunsListeners.add(listener);
  }

  wakeDeliveries(): void {
    this.wakeDeliveriesListeners.call();
  }

  onWakeDeliveries(listener: () => void): () => void {
    return this.wakeDeliveriesListeners.add(listener);
  }

  cronsChanged(): void {
    this.cronsListeners.call();
  }

  onCronsChanged(listener: () => void): () => void {
    return this.cronsListeners.add(listener);
  }

  cancelRun(runId: string, action: CancelAction): void {
    this.cancelListeners.call(runId, action);
  }

  onCancelRun(listener: (runId: string, action: CancelAction) => void): () => void {
    return this.cancelListeners.add(listener);
  }

  runEnded(runId: string, end: RunEnd): void {
    this.recentEnds.add(runId, end);
    const waiting = this.waiters.get(runId);
    this.waiters.delete(runId);
    for (const resolve of waiting ?? []) resolve(end);
  }

  async recentEnd(runId: string): Promise<RunEnd | undefined> {
    return this.recentEnds.get(runId);
  }

  awaitEnd(runId: string, signal?: AbortSignal): Promise<RunEnd> {
    const end = this.recentEnds.get(runId);
    if (end) return Promise.resolve(end);
    // An abort listener added to an aborted signal never fires: the waiter would stay forever.
    if (signal?.aborted) return new Promise(() => {});
    return new Promise((resolve) => {
      let waiting = this.waiters.get(runId);
      if (!waiting) this.waiters.set(runId, (waiting = new Set()));
      const settle = (ended: RunEnd) => {
        signal?.removeEventListener("abort", forget);
        resolve(ended);
      };
      // An aborted waiter is forgotten (its promise stays pending: the caller raced it and moved on).
      const forget = () => {
        waiting.delete(settle);
        if (waiting.size === 0 && this.waiters.get(runId) === waiting) this.waiters.delete(runId);
      };
      waiting.add(settle);
      signal?.addEventListener("abort", forget, { once: true });
    });
  }

  async close(): Promise<void> {
    this.waiters.clear();
  }
}
