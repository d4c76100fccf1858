import type { BrowsedRun, FailingDelivery, Page, RunBrowse, RunBrowser } from "../storage.js";
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
import type { PgPool } from "./database.js";
import { iso } from "./json.js";
import { QueryParams } from "./query-params.js";
import { RUN_COLUMNS, runFromRow, type RunRow } from "./run-row.js";
import { textParam } from "./text.js";

interface FailingRow extends Omit<FailingColumns, "next_attempt_at" | "created_at" | "updated_at" | "started_at"> {
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date;
}

type StatusCount = { status: RunStatus; total: number };

/**
 * The dashboard's queries on PostgreSQL: runs across threads with filters (a page is one query,
 * runs and their newest delivery together), counts by status, and the deliveries failing now.
 */
export class PostgresRunBrowser implements RunBrowser {
  constructor(private readonly pool: PgPool) {}

  async list(query: RunBrowse & Page & { before?: string }): Promise<BrowsedRun[]> {
    const params = new QueryParams();
    for (const column of RUN_BROWSE_FILTERS) {
      if (query[column] !== undefined) params.where((p) => `r.${column} = ${p}`, textParam(query[column], column));
    }
    // A keyset page: stable while new runs arrive, and one index seek however deep.
    if (query.before !== undefined) {
      params.where((p) => `r.seq < (SELECT seq FROM runs WHERE run_id = ${p})`, textParam(query.before, "before"));
    }
    const { rows } = await this.pool.query<RunRow & DeliveryColumns>(
      `SELECT ${RUN_COLUMNS}, d.delivery_id, d.status AS delivery_status, d.attempt_count, a.error AS last_error
       FROM runs r
       LEFT JOIN LATERAL (
         SELECT x.delivery_id, x.status, x.attempt_count FROM webhook_deliveries x WHERE x.run_id = r.run_id ORDER BY x.seq DESC LIMIT 1
       ) d ON true
       LEFT ${LAST_ATTEMPT_JOIN}
       ${params.whereClause()}
       ORDER BY r.seq DESC LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    return rows.map((row) => ({ ...runFromRow(row), delivery: deliverySummary(row) }));
  }

  async countByStatus(query: Omit<RunBrowse, "status">): Promise<Record<RunStatus, number>> {
    const assistantId = textParam(query.assistant_id ?? null, "assistant_id");
    // One thread's runs are counted from the runs table (an index range); everything else from the
    // counts the trigger keeps, since a count over all runs would scan the table.
    const { rows } =
      query.thread_id !== undefined
        ? await this.pool.query<StatusCount>(
            `SELECT status, count(*) AS total FROM runs
             WHERE thread_id = $1 AND ($2::text IS NULL OR assistant_id = $2) GROUP BY status`,
            [textParam(query.thread_id, "thread_id"), assistantId],
          )
        : await this.pool.query<StatusCount>(
            "SELECT status, sum(total)::bigint AS total FROM run_counts WHERE $1::text IS NULL OR assistant_id = $1 GROUP BY status",
            [assistantId],
          );
    return runCounts(rows);
  }

  async failingDeliveries(limit: number): Promise<FailingDelivery[]> {
    const { rows } = await this.pool.query<FailingRow>(
      `SELECT d.delivery_id, d.run_id, d.thread_id, d.url, d.status, d.attempt_count, d.next_attempt_at, d.created_at,
         d.updated_at, a.attempt, a.started_at, a.status_code, a.error
       FROM webhook_deliveries d ${LAST_ATTEMPT_JOIN}
       WHERE ${FAILING}
       ORDER BY d.status = 'pending' DESC, a.started_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) =>
      failingDelivery({
        ...row,
        next_attempt_at: iso(row.next_attempt_at),
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
        started_at: iso(row.started_at),
      }),
    );
  }

  async deliveryCounts(): Promise<Record<DeliveryStatus | "retrying", number>> {
    const { rows } = await this.pool.query<{ status: DeliveryStatus; total: number; retrying: number }>(
      `SELECT d.status, count(*) AS total, count(*) FILTER (WHERE d.status = 'pending' AND a.error IS NOT NULL) AS retrying
       FROM webhook_deliveries d LEFT ${LAST_ATTEMPT_JOIN} GROUP BY d.status`,
    );
    return deliveryCounts(rows);
  }
}
