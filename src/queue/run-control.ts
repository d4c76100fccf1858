import type { RunStreams, Signals } from "../bus/bus.js";
import type { Storage } from "../storage/storage.js";
import type { CancelAction, QueuedRun } from "../storage/types.js";
import type { RunEnd, RunEndStatus } from "./executor.js";

/** Waiters of runs that had not ended when the server stopped. */
export class ServerStoppingError extends Error {
  override name = "ServerStoppingError";
}

export interface RunControlOptions {
  storage: Storage;
  streams: RunStreams;
  signals: Signals;
  /**
   * How often a waiter reads the run's status from the database, in case the end signal was lost
   * (Redis restarted); undefined: never (in one process a signal cannot be lost).
   */
  safetyPollMs?: number;
}

const isActive = (run: QueuedRun | undefined) => run?.status === "pending" || run?.status === "running";

/** How an ended run ended, as the database shows it: a run that is gone was rolled back. */
const storedEnd = (run: QueuedRun | undefined): RunEnd => ({ status: run ? (run.status as RunEndStatus) : "rollback" });

/**
 * What the API does to runs, whichever process executes them: wait for a run's end, read how it
 * ended, cancel it. Ends and cancels travel as signals; the database is the fallback truth.
 */
export class RunControl {
  /** Aborted at close: every waiter stops with ServerStoppingError. */
  private readonly closing = new AbortController();

  constructor(private readonly options: RunControlOptions) {}

  /**
   * Resolves when the run ends, wherever it executes; rejects with ServerStoppingError when this
   * server stops first. For runs known to be pending or running, or just ended.
   */
  completion(runId: string, signal?: AbortSignal): Promise<RunEnd> {
    const { signals, safetyPollMs } = this.options;
    const stop = AbortSignal.any([this.closing.signal, ...(signal ? [signal] : [])]);
    const ended = new Promise<RunEnd>((resolve, reject) => {
      let poll: NodeJS.Timeout | undefined;
      const done = () => {
        clearInterval(poll);
        stop.removeEventListener("abort", onStop);
      };
      const onStop = () => {
        done();
        reject(new ServerStoppingError("the server is stopping"));
      };
      if (stop.aborted) return onStop();
      stop.addEventListener("abort", onStop, { once: true });
      signals.awaitEnd(runId, stop).then((end) => {
        done();
        resolve(end);
      });
      if (safetyPollMs !== undefined) {
        poll = setInterval(() => {
          void this.options.storage.runs.get(runId).then(
            async (run) => {
              if (isActive(run) || stop.aborted) return;
              done();
              // The end's answer if the bus still has it; else the thread's state answers (RunEnd without output).
              // Redis may be down (the reason the end signal never came): that read failing must not leave
              // the waiter hanging, nor reject unheard (which ends the process).
              const end = await signals.recentEnd(runId).catch(() => undefined);
              resolve(end ?? storedEnd(run));
            },
            () => {}, // the database is down: the next poll tries again
          );
        }, safetyPollMs);
        poll.unref();
      }
    });
    // A waiter may be gone (client left) before a stop rejects the promise.
    ended.catch(() => {});
    return ended;
  }

  /** How the run ended, if it ended lately. */
  recentEnd(runId: string): Promise<RunEnd | undefined> {
    return this.options.signals.recentEnd(runId);
  }

  /**
   * Cancels a run: a pending one ends without running (no webhook); a running one is stopped by
   * whichever process holds it (its end status follows the action). False when it is neither.
   */
  async cancel(runId: string, action: CancelAction): Promise<boolean> {
    const { storage, streams, signals } = this.options;
    const pending = await storage.runs.cancelPending(runId, action);
    if (pending) {
      streams.end(runId);
      signals.runEnded(runId, { status: action === "rollback" ? "rollback" : "interrupted" });
      return true;
    }
    if (!(await storage.runs.requestCancel(runId, action))) return false;
    signals.cancelRun(runId, action);
    return true;
  }

  /** Rejects every waiter (ServerStoppingError): their HTTP connections may close. */
  close(): void {
    this.closing.abort();
  }
}
