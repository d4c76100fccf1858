import type { FastifyBaseLogger } from "fastify";
import type { RunFinish, Storage } from "../storage/storage.js";
import type { Json, JsonObject, QueuedRun, RunStatus, ThreadStatus } from "../storage/types.js";
import type { RunStreams } from "../bus/run-streams.js";
import type { RunEnd, RunEndStatus, RunExecutor, RunResult } from "./executor.js";
import { RecentItems } from "../recent-items.js";
import { WakeTimer } from "./wake-timer.js";
import { RunOutput } from "./run-output.js";

/** Runs taken back after a crash are tried this many times in all, then end as errors. */
export const MAX_ATTEMPTS = 3;

export type CancelAction = "interrupt" | "rollback";

/** Turns a finished run into a webhook outbox row (written in the run's finishing transaction). */
export interface RunOutbox {
  deliveryFor(result: RunResult): { delivery_id: string; url: string; payload: JsonObject } | undefined;
  /** Called after the transaction that wrote a delivery committed. */
  delivered(): void;
}

export interface RunWorkerOptions {
  storage: Storage;
  executor: RunExecutor;
  streams: RunStreams;
  outbox?: RunOutbox;
  logger: FastifyBaseLogger;
  concurrency: number;
  runTimeoutSeconds: number;
}

interface Completion {
  promise: Promise<RunEnd>;
  resolve: (end: RunEnd) => void;
  reject: (error: Error) => void;
}

/** Waiters of runs that had not ended when the server stopped. */
export class ServerStoppingError extends Error {
  override name = "ServerStoppingError";
}

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

type AbortReason = { kind: "cancel"; action: CancelAction } | { kind: "timeout" } | { kind: "shutdown" };

/**
 * Claims due runs from storage and executes them, at most `concurrency` at once. Wakes when a run
 * is created (`wake()`), when a slot frees, and at the next delayed run's due time: no polling.
 */
export class RunWorker {
  private readonly active = new Map<string, ActiveRun>();
  /** Waiters of runs that have not ended yet, by run id. */
  private readonly completions = new Map<string, Completion>();
  /**
   * How runs that ended here lately ended, for `join` and `cancel?wait` calls that come just after
   * the end. Only the answer, and bounded: at hundreds of runs a second, a minute of whole results
   * (input, values) would pin hundreds of megabytes. A joiner of an evicted run gets the thread's
   * stored state, as the Python server answers every ended run.
   */
  private readonly recentEnds = new RecentItems<string, RunEnd>({ maxAgeMs: 60_000, maxCount: 1_000 });
  private readonly cancelRequested = new Map<string, CancelAction>();
  private readonly timer = new WakeTimer(() => this.wake());
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;

  constructor(private readonly options: RunWorkerOptions) {}

  async start(): Promise<void> {
    const exhausted = await this.options.storage.runs.recoverAbandoned(MAX_ATTEMPTS);
    for (const run of exhausted) {
      const message = `run was interrupted by a server stop ${run.attempt} times; giving up`;
      await this.finish(run, { status: "error", values: null, error: { error: "RunAttemptsExhausted", message } }, "error");
    }
    this.wake();
  }

  /**
   * Resolves when the run ends in this process; rejects when the server stops first. Only for runs
   * known to be pending or running, or just ended (a run read as running may end before this call).
   */
  completion(runId: string): Promise<RunEnd> {
    const end = this.recentEnds.get(runId);
    return end ? Promise.resolve(end) : this.entry(runId).promise;
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    queueMicrotask(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      let now: Date;
      let full = false;
      do {
        now = new Date();
        this.pumpAgain = false;
        const free = this.options.concurrency - this.active.size;
        full = free <= 0;
        if (full) break;
        const claimed = await this.options.storage.runs.claim(free, now);
        for (const run of claimed) this.launch(run);
        if (claimed.length === free) this.pumpAgain = true;
      } while (this.pumpAgain && !this.stopped);
      // With every slot taken, the next slot to free wakes the worker: no timer needed until then.
      const next = full ? undefined : await this.options.storage.runs.nextDue(now);
      if (next) this.timer.at(next);
    } catch (error) {
      this.options.logger.error({ err: error }, "claiming runs failed");
    } finally {
      this.pumping = false;
    }
  }

  private launch(run: QueuedRun): void {
    const controller = new AbortController();
    const cancelAction = this.cancelRequested.get(run.run_id);
    if (cancelAction) {
      this.cancelRequested.delete(run.run_id);
      controller.abort({ kind: "cancel", action: cancelAction } satisfies AbortReason);
    }
    const done = this.execute(run, controller).finally(() => {
      this.active.delete(run.run_id);
      this.wake();
    });
    this.active.set(run.run_id, { controller, done });
  }

  private async execute(run: QueuedRun, controller: AbortController): Promise<void> {
    const { streams, executor, runTimeoutSeconds } = this.options;
    streams.open(run.run_id, run.thread_id);
    streams.publish(run.run_id, "metadata", { run_id: run.run_id, attempt: run.attempt });
    const output = new RunOutput(Array.isArray(run.kwargs.stream_mode) ? (run.kwargs.stream_mode as string[]) : ["values"]);
    const emit = (event: string, data: unknown) => {
      output.see(event, data);
      streams.publish(run.run_id, event, data);
    };
    const timeout = setTimeout(() => controller.abort({ kind: "timeout" } satisfies AbortReason), runTimeoutSeconds * 1000);
    try {
      const outcome = await executor.execute(run, emit, controller.signal);
      if (controller.signal.aborted) throw controller.signal.reason;
      await this.finish(
        run,
        { status: "success", values: outcome.values, interrupts: outcome.interrupts, output: output.result() },
        outcome.interrupted ? "interrupted" : "idle",
      );
    } catch (error) {
      const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined;
      await this.finishAborted(run, reason, error, output);
    } finally {
      clearTimeout(timeout);
    }
  }

  private async finishAborted(run: QueuedRun, reason: AbortReason | undefined, error: unknown, output: RunOutput): Promise<void> {
    if (reason?.kind === "shutdown") return; // left running: taken back at the next start
    if (reason?.kind === "timeout") {
      const message = `run exceeded the run timeout of ${this.options.runTimeoutSeconds} s`;
      const payload = { error: "TimeoutError", message };
      this.options.streams.publish(run.run_id, "error", payload);
      await this.finish(run, { status: "timeout", values: null, error: payload }, "idle");
      return;
    }
    if (reason?.kind === "cancel") {
      if (reason.action === "rollback") await this.options.executor.rollback(run.thread_id, run.run_id);
      await this.finish(run, { status: reason.action === "rollback" ? "rollback" : "interrupted", values: null, output: output.result() }, "idle");
      return;
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const payload = { error: err.name || "Error", message: err.message };
    this.options.streams.publish(run.run_id, "error", payload);
    // The stack shows where the graph threw; the stream, the API and the webhook keep {error, message}.
    this.options.logger.warn({ run_id: run.run_id, err: { name: err.name, message: err.message, stack: err.stack } }, "run failed");
    await this.finish(run, { status: "error", values: null, error: payload }, "error");
  }

  /** What the thread's checkpoints hold now: the state a run that ended without an outcome got to. */
  private async latestValues(run: QueuedRun): Promise<Json | null | undefined> {
    try {
      return (await this.options.executor.latestState(run)).values;
    } catch (error) {
      this.options.logger.warn({ run_id: run.run_id, err: error }, "reading the thread state after a run failed");
      return undefined;
    }
  }

  private async finish(
    run: QueuedRun,
    end: { status: RunEndStatus; values: RunResult["values"]; error?: RunResult["error"]; interrupts?: JsonObject; output?: Json },
    threadStatus: ThreadStatus,
  ): Promise<void> {
    const deleteThread = run.stateless && run.on_completion === "delete";
    // Error, timeout, cancel: the thread (and the webhook) show what the run got to, as on the Python server.
    const values = end.status === "success" || deleteThread ? end.values : await this.latestValues(run);
    const endedAt = new Date().toISOString();
    const result: RunResult = {
      run,
      status: end.status,
      values: end.status === "rollback" ? null : (values ?? null),
      error: end.error,
      output: end.error ? { __error__: end.error } : end.output,
      started_at: run.started_at ?? endedAt,
      ended_at: endedAt,
    };
    const delivery = this.options.outbox?.deliveryFor(result);
    const storedStatus: RunStatus = end.status === "rollback" ? "interrupted" : end.status;
    const thread: RunFinish["thread"] = deleteThread
      ? undefined
      : {
          status: threadStatus,
          ...(values !== undefined ? { values } : {}),
          ...(end.status === "success" ? { interrupts: end.interrupts ?? {} } : { interrupts: {} }),
        };
    try {
      await this.options.storage.runs.finish(run.run_id, {
        status: storedStatus as Exclude<RunStatus, "pending" | "running">,
        delivery,
        delete_thread: deleteThread,
        // A rolled-back run disappears with its checkpoints, as on the official server.
        delete_run: end.status === "rollback",
        thread,
      });
      if (deleteThread) await this.options.executor.deleteThread(run.thread_id);
    } catch (error) {
      this.options.logger.error({ run_id: run.run_id, err: error }, "recording the end of a run failed");
    }
    if (delivery) this.options.outbox!.delivered();
    this.options.streams.end(run.run_id);
    this.settle(result);
  }

  private entry(runId: string): Completion {
    let entry = this.completions.get(runId);
    if (!entry) {
      let resolve!: (end: RunEnd) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<RunEnd>((res, rej) => ((resolve = res), (reject = rej)));
      // A waiter may have gone (client left) before the shutdown rejects the promise.
      promise.catch(() => {});
      entry = { promise, resolve, reject };
      this.completions.set(runId, entry);
    }
    return entry;
  }

  private settle(result: RunResult): void {
    const runId = result.run.run_id;
    // Only the answer is kept: the run's input and values go with the result.
    const end: RunEnd = { status: result.status, output: result.output };
    this.recentEnds.add(runId, end);
    this.completions.get(runId)?.resolve(end);
    this.completions.delete(runId);
  }

  /**
   * Cancels a run: a running one is aborted (its end status follows the action), a pending one
   * ends without running (and sends no webhook). False when the run is not pending or running here.
   */
  async cancel(runId: string, action: CancelAction): Promise<boolean> {
    if (this.abortActive(runId, action)) return true;
    const pending = await this.options.storage.runs.cancelPending(runId, action);
    if (pending) {
      this.options.streams.end(runId);
      const endedAt = new Date().toISOString();
      this.settle({ run: pending, status: action === "rollback" ? "rollback" : "interrupted", values: null, started_at: endedAt, ended_at: endedAt });
      return true;
    }
    if (this.abortActive(runId, action)) return true;
    if ((await this.options.storage.runs.get(runId))?.status === "running") {
      // Claimed by this worker but not launched yet: launch() aborts it at once.
      this.cancelRequested.set(runId, action);
      return true;
    }
    return false;
  }

  private abortActive(runId: string, action: CancelAction): boolean {
    const active = this.active.get(runId);
    active?.controller.abort({ kind: "cancel", action } satisfies AbortReason);
    return active !== undefined;
  }

  /** How a run that ended in this process lately ended (see `recentEnds` for how long). */
  recentEnd(runId: string): RunEnd | undefined {
    return this.recentEnds.get(runId);
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /** Graceful stop: no new claims; running runs are aborted and left for the next start to take back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer.clear();
    for (const { controller } of this.active.values()) controller.abort({ kind: "shutdown" } satisfies AbortReason);
    await Promise.allSettled([...this.active.values()].map((run) => run.done));
    // Readers and waiters would otherwise hold their HTTP connections (and the server's close) forever.
    this.options.streams.closeAll();
    for (const entry of this.completions.values()) entry.reject(new ServerStoppingError("the server is stopping"));
  }
}
