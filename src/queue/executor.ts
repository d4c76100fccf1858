import type { Json, JsonObject, QueuedRun } from "../storage/types.js";
import type { ClaimedRun } from "../storage/storage.js";

/** What the queue asks of the runtime: run one graph execution, and undo one. */
export interface RunExecutor {
  /**
   * Executes the run, calling `emit` for each stream event (SSE event name, JSON data). Resolves
   * with the final state; rejects with the graph's error; stops promptly when `signal` aborts;
   * when `drain` aborts, stops at the graph's next step boundary with its checkpoint saved, rejecting
   * with an error named "RunDrainedError" (the run is handed on and continues from there).
   */
  execute(run: ClaimedRun, emit: (event: string, data: unknown) => void, signal: AbortSignal, drain?: AbortSignal): Promise<ExecutionOutcome>;
  /** Removes the checkpoints a run wrote (multitask strategy / cancel action "rollback"). */
  rollback(threadId: string, runId: string): Promise<void>;
  /** Removes the checkpoints of a stateless run's thread (on_completion "delete") as it ends. */
  deleteRunThread(run: ClaimedRun): Promise<void>;
  /**
   * The thread's state at its latest checkpoint, for a run that ended without an outcome (error,
   * cancel, timeout): the thread then shows what the run got to, as the Python server's does.
   */
  latestState(run: QueuedRun): Promise<{ values: Json | null }>;
}

export interface ExecutionOutcome {
  /** The graph paused (interrupt() or interrupt_before/after): the run succeeded, the thread is interrupted. */
  interrupted: boolean;
  values: Json | null;
  interrupts: JsonObject;
}

/** How a run ended, as its webhook and the `wait` endpoints report it. */
export type RunEndStatus = "success" | "error" | "timeout" | "interrupted" | "rollback";

/** What waiters of a run learn when it ends: all that `wait`, `join` and `cancel?wait` answer from. */
export interface RunEnd {
  status: RunEndStatus;
  /** What `wait`/`join` answer (see `RunOutput`); undefined: the thread's stored state. */
  output?: Json;
}

export interface RunResult extends RunEnd {
  run: QueuedRun;
  values: Json | null;
  error?: { error: string; message: string };
  started_at: string;
  ended_at: string;
}
