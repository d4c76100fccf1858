import { randomUUID } from "node:crypto";
import type { ClaimedRun, Heartbeat, LeaseRequest, Page, Reclaimed, RunCreate, RunCreated, RunFinish, RunRepository } from "../storage.js";
import type { CancelAction, JsonObject, MultitaskStrategy, QueuedRun, Run, RunStatus } from "../types.js";
import { conflict, notFound } from "../../errors.js";
import { applyMultitask } from "../domain/multitask.js";
import { publicRun, runAvailableAt } from "../domain/runs.js";
import { CLAIMED_THREAD_STATUS, mayFinish, pendingCancelOutcome, reclaimOutcome, threadOnFinish } from "../domain/run-lifecycle.js";
import { parseJson, toJson } from "./json.js";
import { LimitedStatement, placeholders } from "./sql.js";
import type { SqliteDatabase } from "./database.js";
import { transaction } from "./transaction.js";
import type { SqliteThreads } from "./threads.js";
import type { SqliteDeliveries } from "./deliveries.js";

interface RunRow {
  seq: number;
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  metadata: string;
  kwargs: string;
  multitask_strategy: MultitaskStrategy;
  stateless: number;
  on_completion: "delete" | "keep" | null;
  attempt: number;
  available_at: string;
  started_at: string | null;
  ended_at: string | null;
  created_at: string;
  updated_at: string;
  lease_owner: string | null;
  lease_id: string | null;
  /** ms since the epoch. */
  lease_expires_at: number | null;
  cancel_action: CancelAction | null;
}

function fromRow(row: Omit<RunRow, "seq">): QueuedRun {
  return {
    run_id: row.run_id,
    thread_id: row.thread_id,
    assistant_id: row.assistant_id,
    status: row.status,
    metadata: parseJson<JsonObject>(row.metadata),
    kwargs: parseJson<JsonObject>(row.kwargs),
    multitask_strategy: row.multitask_strategy,
    created_at: row.created_at,
    updated_at: row.updated_at,
    stateless: row.stateless === 1,
    on_completion: row.on_completion,
    attempt: row.attempt,
    started_at: row.started_at,
    ended_at: row.ended_at,
  };
}

/** `resumed`: whether an earlier claim started the run (`started_at` as it was before this claim). */
function claimedFromRow(row: Omit<RunRow, "seq">, resumed: boolean): ClaimedRun {
  return { ...fromRow(row), lease_id: row.lease_id!, cancel_action: row.cancel_action, resumed };
}

export class SqliteRuns implements RunRepository {
  private readonly getStmt;
  private readonly finishGateStmt;
  private readonly insertStmt;
  private readonly inflightStmt;
  private readonly claimCandidates;
  private readonly markRunningStmt;
  private readonly endStmt;
  private readonly heartbeatStmt;
  private readonly releaseStmt;
  private readonly runningStmt;
  private readonly expiredStmt;
  private readonly requeueStmt;
  private readonly leaseStmt;
  private readonly requestCancelStmt;
  private readonly nextDueStmt;
  private readonly queueStatsStmt;
  private readonly deleteStmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly threads: SqliteThreads,
    private readonly deliveries: SqliteDeliveries,
  ) {
    this.getStmt = db.prepare<[string], RunRow>("SELECT * FROM runs WHERE run_id = ?");
    // What a finish checks, without copying the run's kwargs and metadata out of the row.
    this.finishGateStmt = db.prepare<[string], Pick<RunRow, "thread_id" | "status" | "lease_id">>(
      "SELECT thread_id, status, lease_id FROM runs WHERE run_id = ?",
    );
    this.insertStmt = db.prepare(
      `INSERT INTO runs (run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, stateless,
         on_completion, attempt, available_at, created_at, updated_at)
       VALUES (@run_id, @thread_id, @assistant_id, 'pending', @metadata, @kwargs, @multitask_strategy, @stateless,
         @on_completion, 0, @available_at, @created_at, @created_at)`,
    );
    this.inflightStmt = db.prepare<[string], { run_id: string; status: RunStatus }>(
      "SELECT run_id, status FROM runs WHERE thread_id = ? AND status IN ('pending', 'running') ORDER BY seq",
    );
    // The earliest due pending run of each thread that has no running run: runs on one thread go one at a time, in
    // order. Ordered as the pending index is (due time, then age): ordering by seq alone (the rowid) makes SQLite
    // scan every run ever made, or sort the whole backlog on each claim.
    this.claimCandidates = new LimitedStatement<[string], RunRow>(
      db,
      `SELECT r.* FROM runs r
       WHERE r.status = 'pending' AND r.available_at <= ?
         AND r.seq = (SELECT min(p.seq) FROM runs p WHERE p.thread_id = r.thread_id AND p.status = 'pending')
         AND NOT EXISTS (SELECT 1 FROM runs x WHERE x.thread_id = r.thread_id AND x.status = 'running')
       ORDER BY r.available_at, r.seq`,
    );
    this.nextDueStmt = db.prepare<[string], { at: string | null }>(
      "SELECT min(available_at) AS at FROM runs WHERE status = 'pending' AND available_at > ?",
    );
    // A range of the pending index: count and min in one pass.
    this.queueStatsStmt = db.prepare<[string], { due: number; oldest: string | null }>(
      "SELECT count(*) AS due, min(available_at) AS oldest FROM runs WHERE status = 'pending' AND available_at <= ?",
    );
    this.deleteStmt = db.prepare<[string]>("DELETE FROM runs WHERE run_id = ?");
    this.markRunningStmt = db.prepare(
      `UPDATE runs SET status = 'running', attempt = attempt + 1, started_at = coalesce(started_at, @now), updated_at = @now,
         lease_owner = @owner, lease_id = @lease_id, lease_expires_at = @until
       WHERE run_id = @run_id`,
    );
    // A lease exists only on a running run: every way out of running clears it.
    this.endStmt = db.prepare(
      `UPDATE runs SET status = @status, ended_at = @now, updated_at = @now, lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL
       WHERE run_id = @run_id`,
    );
    // An expired lease that nobody took back is still its holder's: renewing it is safe. The running-runs
    // index bounds the scan to the runs in flight.
    this.heartbeatStmt = db.prepare<[{ owner: string; ids: string; until: number }], Pick<RunRow, "run_id" | "lease_id" | "cancel_action">>(
      `UPDATE runs SET lease_expires_at = @until
       WHERE status = 'running' AND lease_owner = @owner AND lease_id IN (SELECT value FROM json_each(@ids))
       RETURNING run_id, lease_id, cancel_action`,
    );
    // The attempt the claim spent is given back. available_at stays: the run was due when claimed, so it is
    // due now and keeps its place at the head of the queue.
    this.releaseStmt = db.prepare(
      `UPDATE runs SET status = 'pending', attempt = attempt - 1, updated_at = @now, lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL
       WHERE status = 'running' AND lease_id IN (SELECT value FROM json_each(@ids))`,
    );
    this.runningStmt = db.prepare<[], RunRow>("SELECT * FROM runs WHERE status = 'running'");
    this.expiredStmt = db.prepare<[number], RunRow>("SELECT * FROM runs WHERE status = 'running' AND lease_expires_at <= ?");
    this.requeueStmt = db.prepare(
      `UPDATE runs SET status = 'pending', updated_at = @now, lease_owner = NULL, lease_id = NULL, lease_expires_at = NULL
       WHERE run_id = @run_id`,
    );
    this.leaseStmt = db.prepare(
      "UPDATE runs SET lease_owner = @owner, lease_id = @lease_id, lease_expires_at = @until, updated_at = @now WHERE run_id = @run_id",
    );
    this.requestCancelStmt = db.prepare<[CancelAction, string]>(
      "UPDATE runs SET cancel_action = ? WHERE run_id = ? AND status = 'running'",
    );
  }

  async create(input: RunCreate): Promise<RunCreated> {
    const now = new Date();
    return transaction(this.db, (): RunCreated => {
      if (this.threads.getSync(input.thread_id)) {
        this.threads.mergeMetadataSync(input.thread_id, input.thread_metadata, now);
      } else {
        if (!input.create_thread) throw notFound("thread", input.thread_id);
        this.threads.insertSync({ thread_id: input.thread_id, metadata: input.thread_metadata }, now);
      }
      const preempted = applyMultitask(input.multitask_strategy, input.thread_id, this.inflightStmt.all(input.thread_id));
      const availableAt = runAvailableAt(now, input.after_seconds);
      const createdAt = now.toISOString();
      const row: Omit<RunRow, "seq"> = {
        run_id: input.run_id,
        thread_id: input.thread_id,
        assistant_id: input.assistant_id,
        status: "pending",
        metadata: toJson(input.metadata),
        kwargs: toJson(input.kwargs),
        multitask_strategy: input.multitask_strategy,
        stateless: input.stateless ? 1 : 0,
        on_completion: input.on_completion,
        attempt: 0,
        available_at: availableAt.toISOString(),
        started_at: null,
        ended_at: null,
        created_at: createdAt,
        updated_at: createdAt,
        lease_owner: null,
        lease_id: null,
        lease_expires_at: null,
        cancel_action: null,
      };
      this.insertStmt.run(row);
      // The row as inserted (the statement sets status and attempt itself): no need to read it back.
      return { run: fromRow(row), preempted };
    });
  }

  async get(runId: string, threadId?: string): Promise<QueuedRun | undefined> {
    const row = this.getStmt.get(runId);
    if (!row || (threadId !== undefined && row.thread_id !== threadId)) return undefined;
    return fromRow(row);
  }

  async list(threadId: string, query: Page & { status?: RunStatus }): Promise<Run[]> {
    if (!this.threads.getSync(threadId)) throw notFound("thread", threadId);
    const statusClause = query.status ? "AND status = ?" : "";
    const params: unknown[] = query.status ? [threadId, query.status] : [threadId];
    return this.db
      .prepare<unknown[], RunRow>(`SELECT * FROM runs WHERE thread_id = ? ${statusClause} ORDER BY seq DESC LIMIT ? OFFSET ?`)
      .all(...params, query.limit, query.offset)
      .map((row) => publicRun(fromRow(row)));
  }

  async delete(runId: string, threadId: string): Promise<void> {
    transaction(this.db, () => {
      const row = this.getStmt.get(runId);
      if (!row || row.thread_id !== threadId) throw notFound("run", runId);
      if (row.status === "pending" || row.status === "running") {
        throw conflict(`run ${runId} is ${row.status}; cancel it before deleting it`);
      }
      this.deleteStmt.run(runId);
    });
  }

  async claim(limit: number, now: Date, lease: LeaseRequest): Promise<ClaimedRun[]> {
    if (limit <= 0) return [];
    const nowIso = now.toISOString();
    // `now` says what is due; the lease runs on this process's own clock, as PostgreSQL's runs on its.
    const until = Date.now() + lease.leaseMs;
    return transaction(this.db, () =>
      this.claimCandidates.all(limit, nowIso).map((row) => {
        const leaseId = randomUUID();
        this.markRunningStmt.run({ run_id: row.run_id, now: nowIso, owner: lease.owner, lease_id: leaseId, until });
        this.threads.setStateSync(row.thread_id, { status: CLAIMED_THREAD_STATUS }, now);
        // What markRunningStmt wrote, without reading the row back.
        return claimedFromRow(
          {
            ...row,
            status: "running",
            attempt: row.attempt + 1,
            started_at: row.started_at ?? nowIso,
            updated_at: nowIso,
            lease_owner: lease.owner,
            lease_id: leaseId,
            lease_expires_at: until,
          },
          row.started_at !== null,
        );
      }),
    );
  }

  async nextDue(after: Date): Promise<Date | undefined> {
    const row = this.nextDueStmt.get(after.toISOString());
    return row?.at ? new Date(row.at) : undefined;
  }

  async queueStats(now: Date): Promise<{ due: number; oldestDueAt: Date | undefined }> {
    const row = this.queueStatsStmt.get(now.toISOString())!;
    return { due: row.due, oldestDueAt: row.oldest ? new Date(row.oldest) : undefined };
  }

  async heartbeat(owner: string, leaseIds: readonly string[], leaseMs: number): Promise<Heartbeat> {
    if (leaseIds.length === 0) return { held: [], cancels: [] };
    const rows = this.heartbeatStmt.all({ owner, ids: JSON.stringify(leaseIds), until: Date.now() + leaseMs });
    return {
      held: rows.map((row) => row.lease_id!),
      cancels: rows.flatMap((row) => (row.cancel_action ? [{ run_id: row.run_id, action: row.cancel_action }] : [])),
    };
  }

  async finish(runId: string, finish: RunFinish, leaseId?: string): Promise<boolean> {
    const now = new Date();
    return transaction(this.db, () => {
      const run = this.finishGateStmt.get(runId);
      if (!run || !mayFinish(run, leaseId)) return false;
      if (finish.delete_run) this.deleteStmt.run(runId);
      else this.endStmt.run({ run_id: runId, status: finish.status, now: now.toISOString() });
      if (finish.delivery) {
        this.deliveries.insertSync({ ...finish.delivery, run_id: runId, thread_id: run.thread_id }, now);
      }
      const thread = threadOnFinish(finish);
      if (thread === "delete") this.threads.deleteSync(run.thread_id);
      else if (thread) this.threads.setStateSync(run.thread_id, thread, now);
      return true;
    });
  }

  async release(leaseIds: readonly string[]): Promise<number> {
    if (leaseIds.length === 0) return 0;
    return this.releaseStmt.run({ ids: JSON.stringify(leaseIds), now: new Date().toISOString() }).changes;
  }

  async reclaim(options: { scope: "expired" | "all"; maxAttempts: number; lease: LeaseRequest }): Promise<Reclaimed> {
    const nowMs = Date.now();
    const nowIso = new Date(nowMs).toISOString();
    const until = nowMs + options.lease.leaseMs;
    return transaction(this.db, () => {
      const running = options.scope === "all" ? this.runningStmt.all() : this.expiredStmt.all(nowMs);
      const reclaimed: Reclaimed = { requeued: 0, exhausted: [] };
      for (const row of running) {
        if (reclaimOutcome(row.attempt, options.maxAttempts) === "retry") {
          this.requeueStmt.run({ run_id: row.run_id, now: nowIso });
          reclaimed.requeued += 1;
          continue;
        }
        const leaseId = randomUUID();
        this.leaseStmt.run({ run_id: row.run_id, owner: options.lease.owner, lease_id: leaseId, until, now: nowIso });
        const leased = { ...row, lease_owner: options.lease.owner, lease_id: leaseId, lease_expires_at: until, updated_at: nowIso };
        reclaimed.exhausted.push(claimedFromRow(leased, true));
      }
      return reclaimed;
    });
  }

  async cancelPending(runId: string, action: CancelAction): Promise<QueuedRun | undefined> {
    return transaction(this.db, () => {
      const row = this.getStmt.get(runId);
      if (!row || row.status !== "pending") return undefined;
      if (pendingCancelOutcome(action) === "delete") this.deleteStmt.run(runId);
      else this.endStmt.run({ run_id: runId, status: "interrupted", now: new Date().toISOString() });
      return fromRow(row);
    });
  }

  async requestCancel(runId: string, action: CancelAction): Promise<boolean> {
    return this.requestCancelStmt.run(action, runId).changes > 0;
  }

  async findActive(query: { thread_id?: string; run_ids?: string[]; status: "pending" | "running" | "all" }): Promise<string[]> {
    const conditions = [query.status === "all" ? "status IN ('pending', 'running')" : "status = ?"];
    const params: unknown[] = query.status === "all" ? [] : [query.status];
    if (query.thread_id !== undefined) {
      conditions.push("thread_id = ?");
      params.push(query.thread_id);
    }
    if (query.run_ids !== undefined) {
      conditions.push(query.run_ids.length ? `run_id IN (${placeholders(query.run_ids.length)})` : "0");
      params.push(...query.run_ids);
    }
    return this.db
      .prepare<unknown[], { run_id: string }>(`SELECT run_id FROM runs WHERE ${conditions.join(" AND ")} ORDER BY seq`)
      .all(...params)
      .map((row) => row.run_id);
  }

  async inflight(threadId: string): Promise<{ run_id: string; status: RunStatus }[]> {
    return this.inflightStmt.all(threadId);
  }
}
