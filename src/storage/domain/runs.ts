import type { Run } from "../types.js";

/** The API shape of a run: the queue's bookkeeping (attempt, lease, times) stays inside. */
export function publicRun(run: Run): Run {
  const { run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, created_at, updated_at } = run;
  return { run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, created_at, updated_at };
}

/** When a new run becomes due: `after_seconds` from its creation (a negative delay is none). */
export function runAvailableAt(createdAt: Date, afterSeconds: number | undefined): Date {
  return new Date(createdAt.getTime() + Math.max(0, afterSeconds ?? 0) * 1000);
}
