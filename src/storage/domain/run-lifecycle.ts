/**
 * The queue's rules for a run's way through claim, finish, hand-back and cancel. Each dialect
 * reads the row (locked, or inside its one-connection transaction), asks these, and writes the
 * answer in its own SQL.
 */
import type { RunFinish } from "../storage.js";
import type { CancelAction, RunStatus, ThreadStatus } from "../types.js";

/** The thread's status while one of its runs is claimed. */
export const CLAIMED_THREAD_STATUS: ThreadStatus = "busy";

/**
 * Whether a finish may write. A run ends once: only while it is pending or running, so a retried
 * finish writes no second webhook row. With a lease, only while that lease still holds the running
 * run: a holder that lost it (paused or partitioned while another process took the run over)
 * writes nothing.
 */
export function mayFinish(run: { status: RunStatus; lease_id: string | null }, leaseId: string | undefined): boolean {
  if (leaseId === undefined) return run.status === "pending" || run.status === "running";
  return run.status === "running" && run.lease_id === leaseId;
}

/**
 * What a finish writes to the run's thread: a temporary thread (stateless `on_completion:
 * delete`) goes with its runs; otherwise the state the run left, when it gives one.
 */
export function threadOnFinish(finish: RunFinish): "delete" | RunFinish["thread"] {
  return finish.delete_thread ? "delete" : finish.thread;
}

/**
 * A running run taken back from a holder that is gone: tried again, or, once it has been claimed
 * `maxAttempts` times, leased to the reclaimer to be ended as an error (a run that kills its
 * process every time must not be retried forever).
 */
export function reclaimOutcome(attempt: number, maxAttempts: number): "retry" | "exhausted" {
  return attempt >= maxAttempts ? "exhausted" : "retry";
}

/** A pending run cancelled before it started: removed on rollback (nothing of it is kept), else ended as interrupted. */
export function pendingCancelOutcome(action: CancelAction): "delete" | "interrupted" {
  return action === "rollback" ? "delete" : "interrupted";
}
