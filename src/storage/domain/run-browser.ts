import { RUN_STATUSES, type BrowsedRun, type FailingDelivery, type RunBrowse } from "../storage.js";
import type { DeliveryStatus, RunStatus } from "../types.js";

/** The run list's filters, each a column of `runs` compared for equality. */
export const RUN_BROWSE_FILTERS = ["status", "assistant_id", "thread_id"] as const satisfies readonly (keyof RunBrowse)[];

/**
 * The SQL both dialects share: a delivery's latest attempt, and whether it is failing now. A failed
 * attempt always carries an error (the sender names every non-2xx); a success never does.
 */
export const LAST_ATTEMPT_JOIN = "JOIN webhook_attempts a ON a.delivery_id = d.delivery_id AND a.attempt = d.attempt_count";
export const FAILING = "(d.status = 'failed' OR (d.status = 'pending' AND a.error IS NOT NULL))";

/** A listed run's newest delivery, as the list query reads it (all null when the run has none). */
export interface DeliveryColumns {
  delivery_id: string | null;
  delivery_status: DeliveryStatus | null;
  attempt_count: number | null;
  last_error: string | null;
}

export function deliverySummary(row: DeliveryColumns): BrowsedRun["delivery"] {
  if (row.delivery_id === null) return null;
  return {
    delivery_id: row.delivery_id,
    status: row.delivery_status!,
    attempt_count: row.attempt_count!,
    failing: row.delivery_status === "failed" || row.last_error !== null,
  };
}

/** A failing delivery with its latest attempt, timestamps already as ISO text. */
export interface FailingColumns {
  delivery_id: string;
  run_id: string;
  thread_id: string | null;
  url: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  attempt: number;
  started_at: string;
  status_code: number | null;
  error: string | null;
}

export function failingDelivery(row: FailingColumns): FailingDelivery {
  return {
    delivery_id: row.delivery_id,
    run_id: row.run_id,
    thread_id: row.thread_id,
    url: row.url,
    status: row.status,
    attempt_count: row.attempt_count,
    // Only a delivery still pending has a next attempt.
    next_attempt_at: row.status === "pending" ? row.next_attempt_at : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_attempt: { attempt: row.attempt, started_at: row.started_at, status_code: row.status_code, error: row.error },
  };
}

/** Counts by run status from grouped rows; a status with no row counts 0. */
export function runCounts(rows: readonly { status: RunStatus; total: number }[]): Record<RunStatus, number> {
  const counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>;
  for (const row of rows) counts[row.status] = row.total;
  return counts;
}

/** Counts by delivery status from rows grouped by status, each with how many of them are retrying. */
export function deliveryCounts(
  rows: readonly { status: DeliveryStatus; total: number; retrying: number }[],
): Record<DeliveryStatus | "retrying", number> {
  const counts: Record<DeliveryStatus | "retrying", number> = { pending: 0, succeeded: 0, failed: 0, retrying: 0 };
  for (const row of rows) {
    counts[row.status] = row.total;
    counts.retrying += row.retrying;
  }
  return counts;
}
