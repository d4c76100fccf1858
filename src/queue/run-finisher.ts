import type { FastifyBaseLogger } from "fastify";
import type { RunStreams, Signals } from "../bus/bus.js";
import type { ClaimedRun, RunFinish, Storage } from "../storage/storage.js";
import type { Json, JsonObject, RunStatus, ThreadStatus } from "../storage/types.js";
import type { RunEnd, RunEndStatus, RunExecutor, RunResult } from "./executor.js";
import { retryWhile } from "./backoff.js";

/** Turns a finished run into a webhook outbox row (written in the run's finishing transaction). */
export interface RunOutbox {
  deliveryFor(result: RunResult): { delivery_id: string; url: string; payload: JsonObject } | undefined;
}

/** How a run ended, as the worker (or the sweeper, for runs out of attempts) saw it. */
export interface RunEnding {
  status: RunEndStatus;
  values: RunResult["values"];
  error?: RunResult["error"];
  interrupts?: JsonObject;
  output?: Json;
}

export interface RunFinisherOptions {
  storage: Storage;
  executor: Pick<RunExecutor, "latestState" | "deleteRunThread">;
  streams: RunStreams;
  signals: Signals;
  outbox?: RunOutbox;
  logger: FastifyBaseLogger;
  /** Called once per run whose end was recorded here. */
  onFinished?: (run: ClaimedRun, status: RunEndStatus) => void;
}

/**
 * Records the end of a run (status, thread state and webhook outbox row in one fenced write),
 * then tells readers and waiters everywhere. A write that fails (database restarting, connection
 * lost) is retried with a backoff for as long as the caller still holds the run's lease, so a
 * run never stays `running` because one write failed, and a run that reached its end is not
 * executed again while its lease holds.
 */
export class RunFinisher {
  constructor(private readonly options: RunFinisherOptions) {}

  /** False when the end was not recorded here: the lease was lost (someone else holds the run now). */
  async finish(run: ClaimedRun, ending: RunEnding, threadStatus: ThreadStatus, stillHeld: () => boolean): Promise<boolean> {
    const { storage, streams, signals, outbox, logger } = this.options;
    const deleteThread = run.stateless && run.on_completion === "delete";
    // Error, timeout, cancel: the thread (and the webhook) show what the run got to, as on the Python server.
    const values = ending.status === "success" || deleteThread ? ending.values : await this.latestValues(run);
    const endedAt = new Date().toISOString();
    const result: RunResult = {
      run,
      status: ending.status,
      values: ending.status === "rollback" ? null : (values ?? null),
      error: ending.error,
      output: ending.error ? { __error__: ending.error } : ending.output,
      started_at: run.started_at ?? endedAt,
      ended_at: endedAt,
    };
    const delivery = outbox?.deliveryFor(result);
    const storedStatus = (ending.status === "rollback" ? "interrupted" : ending.status) as Exclude<RunStatus, "pending" | "running">;
    const finish: RunFinish = {
      status: storedStatus,
      delivery,
      delete_thread: deleteThread,
      // A rolled-back run disappears with its checkpoints, as on the official server.
      delete_run: ending.status === "rollback",
      thread: deleteThread
        ? undefined
        : {
            status: threadStatus,
            ...(values !== undefined ? { values } : {}),
            interrupts: ending.status === "success" ? (ending.interrupts ?? {}) : {},
          },
    };
    const written = await this.write(run, finish, stillHeld);
    if (!written) {
      logger.warn({ run_id: run.run_id }, "the run's lease was lost before its end was recorded; its new holder finishes it");
      return false;
    }
    if (delivery) signals.wakeDeliveries();
    const end: RunEnd = { status: result.status, output: result.output };
    streams.end(run.run_id);
    signals.runEnded(run.run_id, end);
    this.options.onFinished?.(run, ending.status);
    // After the end is told: waiters and the webhook need not wait for the clean-up.
    if (deleteThread) {
      await this.options.executor.deleteRunThread(run).catch((error: unknown) => {
        logger.warn({ run_id: run.run_id, err: error }, "deleting a stateless run's checkpoints failed");
      });
    }
    return true;
  }

  private async write(run: ClaimedRun, finish: RunFinish, stillHeld: () => boolean): Promise<boolean> {
    const written = await retryWhile(
      () => this.options.storage.runs.finish(run.run_id, finish, run.lease_id),
      stillHeld,
      (error, delay) => this.options.logger.error({ run_id: run.run_id, err: error, retry_in_ms: delay }, "recording the end of a run failed; retrying"),
    );
    return written.ok && written.value;
  }

  /** What the thread's checkpoints hold now: the state a run that ended without an outcome got to. */
  private async latestValues(run: ClaimedRun): Promise<Json | null | undefined> {
    try {
      return (await this.options.executor.latestState(run)).values;
    } catch (error) {
      this.options.logger.warn({ run_id: run.run_id, err: error }, "reading the thread state after a run failed");
      return undefined;
    }
  }
}
