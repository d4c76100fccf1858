import type { FastifyBaseLogger } from "fastify";
import type { RunStreams, Signals } from "../bus/bus.js";
import type { ClaimedRun, Storage } from "../storage/storage.js";
import type { CancelAction } from "../storage/types.js";
import type { RunExecutor } from "./executor.js";
import { WakeTimer } from "./wake-timer.js";
import { RunOutput } from "./run-output.js";
import { Backoff, retryWhile, sleep } from "./backoff.js";
import type { RunFinisher } from "./run-finisher.js";

/** After the grace, how long runs asked to drain may take to reach a step boundary before they are aborted. */
const DRAIN_WINDOW_MS = 5_000;

export interface RunWorkerOptions {
  storage: Storage;
  executor: RunExecutor;
  streams: RunStreams;
  signals: Signals;
  finisher: RunFinisher;
  logger: FastifyBaseLogger;
  /** Runs executed at once by this process. */
  concurrency: number;
  runTimeoutSeconds: number;
  /** This process, as leases name it. */
  owner: string;
  /** How long a claim holds a run unless renewed; renewed every third of it. */
  leaseMs: number;
  /**
   * A claim round every so often even without a wake-up, for wake-ups lost on the way (Redis
   * down); undefined: none (in one process a wake-up cannot be lost).
   */
  safetyPollMs?: number;
}

interface ActiveRun {
  run: ClaimedRun;
  controller: AbortController;
  /** Aborted when a stopping worker asks the graph to stop at its next step boundary. */
  drain: AbortController;
  done: Promise<void>;
  /** When the lease lapses unless renewed (this process's clock, a conservative estimate). */
  leaseEndsAt: number;
}

type AbortReason =
  | { kind: "cancel"; action: CancelAction }
  | { kind: "timeout" }
  /** Graceful stop: handed back to the queue without spending an attempt. */
  | { kind: "shutdown" }
  /** The lease could not be renewed in time, or was taken over: someone else may hold the run now. */
  | { kind: "lease-lost" };

/**
 * Claims due runs from the queue and executes them, at most `concurrency` at once, each under a
 * lease renewed by a heartbeat. Wakes when a run is created anywhere (`Signals.onWakeRuns`), when
 * a slot frees, at the next delayed run's due time, and on the safety poll: no polling on the
 * hot path. A claim that fails (database down) is retried with a backoff: the loop never dies.
 */
export class RunWorker {
  private readonly active = new Map<string, ActiveRun>();
  private readonly timer = new WakeTimer(() => this.wake());
  private readonly claimBackoff = new Backoff();
  private readonly unsubscribe: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private safetyPoll: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  private claiming = false;

  constructor(private readonly options: RunWorkerOptions) {}

  start(): void {
    const { signals, leaseMs, safetyPollMs } = this.options;
    this.claiming = true;
    this.unsubscribe.push(
      signals.onWakeRuns(() => this.wake()),
      signals.onCancelRun((runId, action) => this.abort(runId, { kind: "cancel", action })),
    );
    this.heartbeat = setInterval(() => void this.renewLeases(), Math.max(10, Math.floor(leaseMs / 3)));
    this.heartbeat.unref();
    if (safetyPollMs !== undefined) {
      this.safetyPoll = setInterval(() => this.wake(), safetyPollMs);
      this.safetyPoll.unref();
    }
    this.wake();
  }

  /** Runs executing here now. */
  get activeCount(): number {
    return this.active.size;
  }

  wake(): void {
    if (!this.claiming) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    queueMicrotask(() => void this.pump());
  }

  private async pump(): Promise<void> {
    const { storage, concurrency, owner, leaseMs, logger } = this.options;
    let again = false;
    try {
      let now: Date;
      let full = false;
      do {
        now = new Date();
        this.pumpAgain = false;
        const free = concurrency - this.active.size;
        full = free <= 0;
        if (full) break;
        const claimed = await storage.runs.claim(free, now, { owner, leaseMs });
        // A stop may have begun while the claim was on its way: those runs go straight back.
        if (!this.claiming) {
          await this.handBack(claimed);
          return;
        }
        for (const run of claimed) this.launch(run);
        if (claimed.length === free) this.pumpAgain = true;
      } while (this.pumpAgain && this.claiming);
      // With every slot taken, the next slot to free wakes the worker: no timer needed until then.
      const next = full ? undefined : await storage.runs.nextDue(now);
      if (next) this.timer.at(next);
      this.claimBackoff.succeed();
      // A wake-up that came while nextDue was read found the loop done: it would wait for the safety poll.
      again = this.pumpAgain;
    } catch (error) {
      const delay = this.claimBackoff.fail();
      logger.error({ err: error, retry_in_ms: delay }, "claiming runs failed; retrying");
      this.timer.at(new Date(Date.now() + delay));
    } finally {
      this.pumping = false;
    }
    if (again) this.wake();
  }

  private launch(run: ClaimedRun): void {
    const controller = new AbortController();
    if (run.cancel_action) controller.abort({ kind: "cancel", action: run.cancel_action } satisfies AbortReason);
    const entry: ActiveRun = { run, controller, drain: new AbortController(), done: Promise.resolve(), leaseEndsAt: Date.now() + this.options.leaseMs };
    entry.done = this.execute(entry).finally(() => {
      this.active.delete(run.run_id);
      this.wake();
    });
    this.active.set(run.run_id, entry);
  }

  private async execute(entry: ActiveRun): Promise<void> {
    const { run, controller } = entry;
    const { streams, executor, runTimeoutSeconds, finisher } = this.options;
    streams.open(run.run_id, run.thread_id);
    streams.publish(run.run_id, "metadata", { run_id: run.run_id, attempt: run.attempt });
    const output = new RunOutput(Array.isArray(run.kwargs.stream_mode) ? (run.kwargs.stream_mode as string[]) : ["values"]);
    const emit = (event: string, data: unknown) => {
      output.see(event, data);
      streams.publish(run.run_id, event, data);
    };
    const timeout = setTimeout(() => controller.abort({ kind: "timeout" } satisfies AbortReason), runTimeoutSeconds * 1000);
    const held = () => this.holds(entry);
    try {
      const outcome = await executor.execute(run, emit, controller.signal, entry.drain.signal);
      if (controller.signal.aborted) throw controller.signal.reason;
      await finisher.finish(
        run,
        { status: "success", values: outcome.values, interrupts: outcome.interrupts, output: output.result() },
        outcome.interrupted ? "interrupted" : "idle",
        held,
      );
    } catch (error) {
      const reason = controller.signal.aborted ? (controller.signal.reason as AbortReason) : undefined;
      await this.finishAborted(entry, reason, error, output);
    } finally {
      clearTimeout(timeout);
    }
  }

  private async finishAborted(entry: ActiveRun, reason: AbortReason | undefined, error: unknown, output: RunOutput): Promise<void> {
    const { run } = entry;
    const { streams, finisher, logger, runTimeoutSeconds } = this.options;
    const held = () => this.holds(entry);
    // Stopped at a step boundary for a stopping worker: continued from there by the next holder.
    if (!reason && error instanceof Error && error.name === "RunDrainedError") {
      await this.handBack([run]);
      return;
    }
    switch (reason?.kind) {
      case "lease-lost":
        // Someone else may execute it now: write nothing, not even the stream's end.
        logger.warn({ run_id: run.run_id }, "stopped a run whose lease could not be renewed");
        return;
      case "shutdown":
        await this.handBack([run]);
        return;
      case "timeout": {
        const payload = { error: "TimeoutError", message: `run exceeded the run timeout of ${runTimeoutSeconds} s` };
        streams.publish(run.run_id, "error", payload);
        await finisher.finish(run, { status: "timeout", values: null, error: payload }, "idle", held);
        return;
      }
      case "cancel": {
        if (reason.action === "rollback" && !(await this.rollBack(entry))) return;
        const status = reason.action === "rollback" ? "rollback" : "interrupted";
        await finisher.finish(run, { status, values: null, output: output.result() }, "idle", held);
        return;
      }
      default: {
        const err = error instanceof Error ? error : new Error(String(error));
        const payload = { error: err.name || "Error", message: err.message };
        streams.publish(run.run_id, "error", payload);
        // The stack shows where the graph threw; the stream, the API and the webhook keep {error, message}.
        logger.warn({ run_id: run.run_id, err: { name: err.name, message: err.message, stack: err.stack } }, "run failed");
        await finisher.finish(run, { status: "error", values: null, error: payload }, "error", held);
      }
    }
  }

  /** Removes the checkpoints the run wrote, retried while the database fails and the lease holds. */
  private async rollBack(entry: ActiveRun): Promise<boolean> {
    const { run } = entry;
    const rolled = await retryWhile(
      () => this.options.executor.rollback(run.thread_id, run.run_id),
      () => this.holds(entry),
      (error, delay) => this.options.logger.error({ run_id: run.run_id, err: error, retry_in_ms: delay }, "rolling back a run failed; retrying"),
    );
    return rolled.ok;
  }

  /** Whether this process may still write the run's end: its lease has not lapsed (by our clock). */
  private holds(entry: ActiveRun): boolean {
    return this.active.get(entry.run.run_id) === entry && Date.now() < entry.leaseEndsAt;
  }

  private abort(runId: string, reason: AbortReason): void {
    const active = this.active.get(runId);
    if (active && !active.controller.signal.aborted) active.controller.abort(reason);
  }

  /**
   * The heartbeat: renews every lease held here; a run whose lease was lost is stopped at once, and
   * so is one whose lease lapsed because renewals kept failing (someone else may have taken it).
   * Cancels recorded in the database reach their run here even if the cancel signal was lost.
   */
  private async renewLeases(): Promise<void> {
    const { storage, owner, leaseMs, logger } = this.options;
    if (this.active.size === 0) return;
    const entries = [...this.active.values()];
    const sentAt = Date.now();
    try {
      const beat = await storage.runs.heartbeat(
        owner,
        entries.map((entry) => entry.run.lease_id),
        leaseMs,
      );
      const held = new Set(beat.held);
      for (const entry of entries) {
        if (held.has(entry.run.lease_id)) entry.leaseEndsAt = sentAt + leaseMs;
        else this.abort(entry.run.run_id, { kind: "lease-lost" });
      }
      for (const { run_id, action } of beat.cancels) this.abort(run_id, { kind: "cancel", action });
    } catch (error) {
      logger.error({ err: error }, "renewing run leases failed");
      const now = Date.now();
      for (const entry of entries) if (now >= entry.leaseEndsAt) this.abort(entry.run.run_id, { kind: "lease-lost" });
    }
  }

  /** Gives runs back to the queue without spending an attempt (graceful stop), retried a few times while the database fails. */
  private async handBack(runs: ClaimedRun[]): Promise<void> {
    if (runs.length === 0) return;
    let tries = 0;
    const released = await retryWhile(
      () => this.options.storage.runs.release(runs.map((run) => run.lease_id)),
      () => ++tries < 5,
      (error, delay) => this.options.logger.warn({ err: error, retry_in_ms: delay }, "handing runs back to the queue failed; retrying"),
    );
    // Given up: the leases lapse and the sweeper takes the runs back (spending an attempt).
    if (!released.ok) this.options.logger.error({ runs: runs.map((run) => run.run_id) }, "handing runs back to the queue failed");
    // Another process may claim them now.
    else this.options.signals.wakeRuns();
  }

  /**
   * Graceful stop: no new claims; running runs get `graceMs` to finish. Those still running are
   * then asked to stop at their next step boundary (the library's drain: the checkpoint is saved,
   * so the next holder continues without redoing finished steps), and after a short window more
   * are aborted. Either way they are handed back to the queue (pending again, no attempt spent)
   * for another process or the next start.
   */
  async stop(graceMs = 0): Promise<void> {
    this.claiming = false;
    this.timer.clear();
    if (this.safetyPoll) clearInterval(this.safetyPoll);
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    const running = () => Promise.allSettled([...this.active.values()].map((entry) => entry.done));
    const within = async (ms: number) => {
      if (ms <= 0 || this.active.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running(), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
      clearTimeout(timer);
    };
    await within(graceMs);
    for (const entry of this.active.values()) entry.drain.abort();
    await within(Math.min(DRAIN_WINDOW_MS, graceMs));
    for (const entry of this.active.values()) entry.controller.abort({ kind: "shutdown" } satisfies AbortReason);
    await running();
    // Leases of runs still finishing their write are renewed until the very end.
    if (this.heartbeat) clearInterval(this.heartbeat);
    while (this.pumping) await sleep(5);
  }
}
