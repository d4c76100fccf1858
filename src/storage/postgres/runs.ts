import pg from "pg";
import type { ClaimedRun, Heartbeat, LeaseRequest, Page, Reclaimed, RunCreate, RunCreated, RunFinish, RunRepository } from "../storage.js";
import type { CancelAction, JsonObject, QueuedRun, Run, RunStatus } from "../types.js";
import { conflict, notFound } from "../../errors.js";
import { applyMultitask } from "../domain/multitask.js";
import { CLAIMED_THREAD_STATUS, mayFinish, pendingCancelOutcome, reclaimOutcome, threadOnFinish } from "../domain/run-lifecycle.js";
import { publicRun, runAvailableAt } from "../domain/runs.js";
import { transaction, type PgPool } from "./database.js";
import { jsonParam } from "./json.js";
import { RUN_COLUMNS, runFromRow, type RunRow } from "./run-row.js";
import { QueryParams } from "./query-params.js";
import { deleteThreadRows, holdThreadForRun, setThreadState } from "./threads.js";
import { insertDelivery } from "./deliveries.js";

interface ClaimedRow extends RunRow {
  lease_id: string;
  cancel_action: CancelAction | null;
  resumed: boolean;
}

/** A claimed run's columns (`r.` the runs table's alias). */
const CLAIMED_COLUMNS = `${RUN_COLUMNS}, r.lease_id, r.cancel_action`;

function claimedFromRow(row: ClaimedRow): ClaimedRun {
  return { ...runFromRow(row), lease_id: row.lease_id, cancel_action: row.cancel_action, resumed: row.resumed };
}

/** A lease's end on PostgreSQL's clock, from a duration in ms (`$n` is its placeholder). */
const leaseEnd = (placeholder: string) => `now() + ${placeholder} * interval '1 millisecond'`;

/**
 * kwargs are the request's fields (input, config, context, command, ...): a refusal names the one
 * that holds what PostgreSQL cannot store. Checked field by field only once the whole was refused.
 */
function kwargsParam(kwargs: JsonObject): string {
  try {
    return jsonParam(kwargs, "kwargs");
  } catch (error) {
    for (const [field, value] of Object.entries(kwargs)) jsonParam(value, field);
    throw error;
  }
}

/**
 * Claims due pending runs: the oldest pending run of each thread with no running run, oldest due
 * first, skipping rows another claimer has locked; marks them running under a new lease (on
 * PostgreSQL's clock) and their threads busy. One statement, so it commits or fails whole.
 * `resumed`: an earlier claim had started the run (`started_at` as it was before this one).
 */
const CLAIM_SQL = `
WITH picked AS (
  SELECT r.seq, r.started_at FROM runs r
  WHERE r.status = 'pending' AND r.available_at <= $1
    AND NOT EXISTS (SELECT 1 FROM runs p WHERE p.thread_id = r.thread_id AND p.status = 'pending' AND p.seq < r.seq)
    AND NOT EXISTS (SELECT 1 FROM runs x WHERE x.thread_id = r.thread_id AND x.status = 'running')
  ORDER BY r.available_at, r.seq
  LIMIT $2
  FOR UPDATE OF r SKIP LOCKED
), claimed AS (
  UPDATE runs r SET status = 'running', attempt = r.attempt + 1, started_at = coalesce(r.started_at, $1), updated_at = $1,
    lease_owner = $3, lease_id = gen_random_uuid()::text, lease_expires_at = ${leaseEnd("$4")}
  FROM picked WHERE r.seq = picked.seq
  RETURNING r.seq, r.available_at, ${CLAIMED_COLUMNS}, picked.started_at IS NOT NULL AS resumed
), busy AS (
  UPDATE threads SET status = $5, updated_at = $1 WHERE thread_id IN (SELECT thread_id FROM claimed)
)
SELECT * FROM claimed ORDER BY available_at, seq`;

/**
 * Written out, not bound, and "all" as an OR rather than IN: the planner then reads the partial
 * indexes of pending and running runs (a bitmap OR of both) instead of every run ever made.
 */
const ACTIVE_CONDITION = {
  pending: "status = 'pending'",
  running: "status = 'running'",
  all: "(status = 'pending' OR status = 'running')",
} as const;

/** A claim that lost a race is tried again this many times in all before it answers with nothing claimed. */
const CLAIM_TRIES = 3;

/**
 * Lost races of a claim: a candidate's thread got a running run from a claimer whose commit this
 * statement's snapshot did not see (runs_one_running_per_thread refuses the second), or two claims
 * locked threads in opposite orders. Either way nothing was written, and the next try's snapshot
 * sees the winner, so it takes the other candidates.
 */
function lostClaimRace(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return false;
  return (error.code === "23505" && error.constraint === "runs_one_running_per_thread") || error.code === "40P01";
}

/** The run queue on PostgreSQL: any number of processes create, claim and finish runs at once. */
export class PostgresRuns implements RunRepository {
  constructor(private readonly pool: PgPool) {}

  async create(input: RunCreate): Promise<RunCreated> {
    const now = new Date();
    // Checked before the transaction: a refused field leaves nothing written.
    const metadata = jsonParam(input.metadata, "metadata");
    const kwargs = kwargsParam(input.kwargs);
    return transaction(this.pool, async (client): Promise<RunCreated> => {
      if (!(await holdThreadForRun(client, input.thread_id, input.thread_metadata, input.create_thread, now))) {
        throw notFound("thread", input.thread_id);
      }
      const inflight = await client.query<{ run_id: string }>(
        "SELECT run_id FROM runs WHERE thread_id = $1 AND status IN ('pending', 'running') ORDER BY seq",
        [input.thread_id],
      );
      const preempted = applyMultitask(input.multitask_strategy, input.thread_id, inflight.rows);
      const { rows } = await client.query<RunRow>(
        `INSERT INTO runs AS r (run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, stateless,
           on_completion, attempt, available_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', $4::jsonb, $5::jsonb, $6, $7, $8, 0, $9, $10, $10)
         RETURNING ${RUN_COLUMNS}`,
        [
          input.run_id,
          input.thread_id,
          input.assistant_id,
          metadata,
          kwargs,
          input.multitask_strategy,
          input.stateless,
          input.on_completion,
          runAvailableAt(now, input.after_seconds).toISOString(),
          now.toISOString(),
        ],
      );
      return { run: runFromRow(rows[0]), preempted };
    });
  }

  async get(runId: string, threadId?: string): Promise<QueuedRun | undefined> {
    const { rows } = await this.pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE run_id = $1`, [runId]);
    const row = rows[0];
    if (!row || (threadId !== undefined && row.thread_id !== threadId)) return undefined;
    return runFromRow(row);
  }

  async list(threadId: string, query: Page & { status?: RunStatus }): Promise<Run[]> {
    const params = new QueryParams().where((thread) => `thread_id = ${thread}`, threadId);
    if (query.status) params.where((status) => `status = ${status}`, query.status);
    const { rows } = await this.pool.query<RunRow>(
      `SELECT ${RUN_COLUMNS} FROM runs r ${params.whereClause()} ORDER BY seq DESC LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    // An empty page needs a look at the thread: none of its runs match, or it does not exist.
    if (rows.length === 0) {
      const thread = await this.pool.query("SELECT 1 FROM threads WHERE thread_id = $1", [threadId]);
      if (thread.rowCount === 0) throw notFound("thread", threadId);
    }
    return rows.map((row) => publicRun(runFromRow(row)));
  }

  async delete(runId: string, threadId: string): Promise<void> {
    await transaction(this.pool, async (client) => {
      const { rows } = await client.query<Pick<RunRow, "thread_id" | "status">>(
        "SELECT thread_id, status FROM runs WHERE run_id = $1 FOR UPDATE",
        [runId],
      );
      const row = rows[0];
      if (!row || row.thread_id !== threadId) throw notFound("run", runId);
      if (row.status === "pending" || row.status === "running") {
        throw conflict(`run ${runId} is ${row.status}; cancel it before deleting it`);
      }
      await client.query("DELETE FROM runs WHERE run_id = $1", [runId]);
    });
  }

  async claim(limit: number, now: Date, lease: LeaseRequest): Promise<ClaimedRun[]> {
    if (limit <= 0) return [];
    const params = [now.toISOString(), limit, lease.owner, lease.leaseMs, CLAIMED_THREAD_STATUS];
    for (let tries = 1; ; tries++) {
      try {
        const { rows } = await this.pool.query<ClaimedRow>(CLAIM_SQL, params);
        return rows.map(claimedFromRow);
      } catch (error) {
        if (!lostClaimRace(error)) throw error;
        // Every lost race is a claim someone else won: claiming nothing this time is no failure.
        if (tries === CLAIM_TRIES) return [];
      }
    }
  }

  async nextDue(after: Date): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ at: Date | null }>(
      "SELECT min(available_at) AS at FROM runs WHERE status = 'pending' AND available_at > $1",
      [after.toISOString()],
    );
    return rows[0].at ?? undefined;
  }

  async queueStats(now: Date): Promise<{ due: number; oldestDueAt: Date | undefined }> {
    const { rows } = await this.pool.query<{ due: number; oldest: Date | null }>(
      "SELECT count(*) AS due, min(available_at) AS oldest FROM runs WHERE status = 'pending' AND available_at <= $1",
      [now.toISOString()],
    );
    return { due: rows[0].due, oldestDueAt: rows[0].oldest ?? undefined };
  }

  async heartbeat(owner: string, leaseIds: readonly string[], leaseMs: number): Promise<Heartbeat> {
    if (leaseIds.length === 0) return { held: [], cancels: [] };
    // An expired lease that nobody took back is still its holder's: renewing it is safe.
    const { rows } = await this.pool.query<{ run_id: string; lease_id: string; cancel_action: CancelAction | null }>(
      `UPDATE runs SET lease_expires_at = ${leaseEnd("$3")}
       WHERE status = 'running' AND lease_owner = $1 AND lease_id = ANY($2::text[])
       RETURNING run_id, lease_id, cancel_action`,
      [owner, leaseIds, leaseMs],
    );
    return {
      held: rows.map((row) => row.lease_id),
      cancels: rows.flatMap((row) => (row.cancel_action ? [{ run_id: row.run_id, action: row.cancel_action }] : [])),
    };
  }

  async finish(runId: string, finish: RunFinish, leaseId?: string): Promise<boolean> {
    const now = new Date();
    return transaction(this.pool, async (client) => {
      // Locked until the commit: a concurrent finish, reclaim or release waits, then sees this one's outcome.
      const { rows } = await client.query<{ thread_id: string; status: RunStatus; lease_id: string | null }>(
        "SELECT thread_id, status, lease_id FROM runs WHERE run_id = $1 FOR UPDATE",
        [runId],
      );
      const run = rows[0];
      if (!run || !mayFinish(run, leaseId)) return false;
      if (finish.delete_run) {
        await client.query("DELETE FROM runs WHERE run_id = $1", [runId]);
      } else {
        // A lease exists only on a running run: every way out of running clears it.
        await client.query(
          `UPDATE runs SET status = $2, ended_at = $3, updated_at = $3, lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL
           WHERE run_id = $1`,
          [runId, finish.status, now.toISOString()],
        );
      }
      if (finish.delivery) await insertDelivery(client, { ...finish.delivery, run_id: runId, thread_id: run.thread_id }, now);
      const thread = threadOnFinish(finish);
      if (thread === "delete") await deleteThreadRows(client, run.thread_id);
      else if (thread) await setThreadState(client, run.thread_id, thread, now);
      return true;
    });
  }

  async release(leaseIds: readonly string[]): Promise<number> {
    if (leaseIds.length === 0) return 0;
    // The attempt the claim spent is given back. available_at stays: the run was due when claimed, so it is
    // due now and keeps its place at the head of the queue.
    const released = await this.pool.query(
      `UPDATE runs SET status = 'pending', attempt = attempt - 1, updated_at = $2, lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL
       WHERE status = 'running' AND lease_id = ANY($1::text[])`,
      [leaseIds, new Date().toISOString()],
    );
    return released.rowCount ?? 0;
  }

  async reclaim(options: { scope: "expired" | "all"; maxAttempts: number; lease: LeaseRequest }): Promise<Reclaimed> {
    const now = new Date().toISOString();
    return transaction(this.pool, async (client) => {
      // A run locked by its finish is ending: skipped, not waited for.
      const { rows } = await client.query<{ run_id: string; attempt: number }>(
        `SELECT run_id, attempt FROM runs
         WHERE status = 'running' AND ($1 OR lease_expires_at <= now())
         FOR UPDATE SKIP LOCKED`,
        [options.scope === "all"],
      );
      const requeue: string[] = [];
      const exhaust: string[] = [];
      for (const row of rows) (reclaimOutcome(row.attempt, options.maxAttempts) === "retry" ? requeue : exhaust).push(row.run_id);
      if (requeue.length > 0) {
        await client.query(
          `UPDATE runs SET status = 'pending', updated_at = $2, lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL
           WHERE run_id = ANY($1::text[])`,
          [requeue, now],
        );
      }
      if (exhaust.length === 0) return { requeued: requeue.length, exhausted: [] };
      const leased = await client.query<ClaimedRow>(
        `UPDATE runs r SET lease_owner = $2, lease_id = gen_random_uuid()::text, lease_expires_at = ${leaseEnd("$3")}, updated_at = $4
         WHERE run_id = ANY($1::text[])
         RETURNING ${CLAIMED_COLUMNS}, true AS resumed`,
        [exhaust, options.lease.owner, options.lease.leaseMs, now],
      );
      return { requeued: requeue.length, exhausted: leased.rows.map(claimedFromRow) };
    });
  }

  async cancelPending(runId: string, action: CancelAction): Promise<QueuedRun | undefined> {
    // One statement each, answering the run as it was; a run a claim holds locked is waited for, then seen running.
    const { rows } =
      pendingCancelOutcome(action) === "delete"
        ? await this.pool.query<RunRow>(`DELETE FROM runs r WHERE run_id = $1 AND status = 'pending' RETURNING ${RUN_COLUMNS}`, [runId])
        : await this.pool.query<RunRow>(
            `WITH before AS (SELECT ${RUN_COLUMNS} FROM runs r WHERE run_id = $1 AND status = 'pending' FOR UPDATE)
             UPDATE runs SET status = 'interrupted', ended_at = $2, updated_at = $2 FROM before WHERE runs.run_id = before.run_id
             RETURNING before.*`,
            [runId, new Date().toISOString()],
          );
    return rows[0] && runFromRow(rows[0]);
  }

  async requestCancel(runId: string, action: CancelAction): Promise<boolean> {
    const requested = await this.pool.query("UPDATE runs SET cancel_action = $2 WHERE run_id = $1 AND status = 'running'", [runId, action]);
    return requested.rowCount === 1;
  }

  async findActive(query: { thread_id?: string; run_ids?: string[]; status: "pending" | "running" | "all" }): Promise<string[]> {
    const params = new QueryParams();
    const conditions: string[] = [ACTIVE_CONDITION[query.status]];
    if (query.thread_id !== undefined) conditions.push(`thread_id = ${params.bind(query.thread_id)}`);
    if (query.run_ids !== undefined) conditions.push(`run_id = ANY(${params.bind(query.run_ids)}::text[])`);
    const { rows } = await this.pool.query<{ run_id: string }>(
      `SELECT run_id FROM runs WHERE ${conditions.join(" AND ")} ORDER BY seq`,
      params.values,
    );
    return rows.map((row) => row.run_id);
  }

  async inflight(threadId: string): Promise<{ run_id: string; status: RunStatus }[]> {
    const { rows } = await this.pool.query<{ run_id: string; status: RunStatus }>(
      "SELECT run_id, status FROM runs WHERE thread_id = $1 AND status IN ('pending', 'running') ORDER BY seq",
      [threadId],
    );
    return rows;
  }
}
