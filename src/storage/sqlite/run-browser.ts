import type { BrowsedRun, FailingDelivery, Page, RunBrowse, RunBrowser, RunRepository } from "../storage.js";
import type { DeliveryStatus, RunStatus } from "../types.js";
import {
  deliveryCounts,
  deliverySummary,
  failingDelivery,
  FAILING,
  LAST_ATTEMPT_JOIN,
  RUN_BROWSE_FILTERS,
  runCounts,
  type DeliveryColumns,
  type FailingColumns,
} from "../domain/run-browser.js";
import type { SqliteDatabase } from "./database.js";

interface ListRow extends DeliveryColumns {
  run_id: string;
}

function runFilters(query: RunBrowse): { conditions: string[]; params: string[] } {
  const conditions: string[] = [];
  const params: string[] = [];
  for (const column of RUN_BROWSE_FILTERS) {
    const value = query[column];
    if (value !== undefined) {
      conditions.push(`r.${column} = ?`);
      params.push(value);
    }
  }
  return { conditions, params };
}

/**
 * The dashboard's queries: runs across threads with filters, counts by status, and the webhook
 * deliveries failing now. Read-only; the run records themselves come from the run repository so
 * there is one mapping of a run row.
 */
export class SqliteRunBrowser implements RunBrowser {
  private readonly failingStmt;
  private readonly deliveryCountsStmt;
  private readonly countsStmt;
  private readonly threadCountsStmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly runs: RunRepository,
  ) {
    this.failingStmt = db.prepare<[number], FailingColumns>(
      `SELECT d.delivery_id, d.run_id, d.thread_id, d.url, d.status, d.attempt_count, d.next_attempt_at, d.created_at,
         d.updated_at, a.attempt, a.started_at, a.status_code, a.error
       FROM webhook_deliveries d ${LAST_ATTEMPT_JOIN}
       WHERE ${FAILING}
       ORDER BY d.status = 'pending' DESC, a.started_at DESC LIMIT ?`,
    );
    this.deliveryCountsStmt = db.prepare<[], { status: DeliveryStatus; total: number; retrying: number }>(
      `SELECT d.status, count(*) AS total, coalesce(sum(d.status = 'pending' AND a.error IS NOT NULL), 0) AS retrying
       FROM webhook_deliveries d LEFT ${LAST_ATTEMPT_JOIN} GROUP BY d.status`,
    );
    type StatusCount = { status: RunStatus; total: number };
    this.countsStmt = db.prepare<[{ assistant: string | null }], StatusCount>(
      "SELECT status, sum(total) AS total FROM run_counts WHERE @assistant IS NULL OR assistant_id = @assistant GROUP BY status",
    );
    this.threadCountsStmt = db.prepare<[{ thread: string; assistant: string | null }], StatusCount>(
      "SELECT status, count(*) AS total FROM runs WHERE thread_id = @thread AND (@assistant IS NULL OR assistant_id = @assistant) GROUP BY status",
    );
  }

  async list(query: RunBrowse & Page & { before?: string }): Promise<BrowsedRun[]> {
    const { conditions, params } = runFilters(query);
    // A keyset page: stable while new runs arrive, and one index seek however deep.
    if (query.before !== undefined) {
      conditions.push("r.seq < (SELECT seq FROM runs WHERE run_id = ?)");
      params.push(query.before);
    }
    const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
    const rows = this.db
      .prepare<unknown[], ListRow>(
        `SELECT r.run_id, d.delivery_id, d.status AS delivery_status, d.attempt_count, a.error AS last_error
         FROM runs r
         LEFT JOIN webhook_deliveries d ON d.seq = (SELECT max(x.seq) FROM webhook_deliveries x WHERE x.run_id = r.run_id)
         LEFT ${LAST_ATTEMPT_JOIN}
         ${where} ORDER BY r.seq DESC LIMIT ? OFFSET ?`,
      )
      .all(...params, query.limit, query.offset);
    const browsed: BrowsedRun[] = [];
    for (const row of rows) {
      const run = await this.runs.get(row.run_id);
      if (!run) continue; // deleted since the query
      browsed.push({ ...run, delivery: deliverySummary(row) });
    }
    return browsed;
  }

  async countByStatus(query: Omit<RunBrowse, "status">): Promise<Record<RunStatus, number>> {
    // One thread's runs are counted from the runs table (an index range); everything else from the
    // counts the triggers keep, since a count over all runs would scan the table.
    return runCounts(
      query.thread_id !== undefined
        ? this.threadCountsStmt.all({ thread: query.thread_id, assistant: query.assistant_id ?? null })
        : this.countsStmt.all({ assistant: query.assistant_id ?? null }),
    );
  }

  async failingDeliveries(limit: number): Promise<FailingDelivery[]> {
    return this.failingStmt.all(limit).map(failingDelivery);
  }

  async deliveryCounts(): Promise<Record<DeliveryStatus | "retrying", number>> {
    return deliveryCounts(this.deliveryCountsStmt.all());
  }
}
