import type { Page, RunCreate, RunCreated, RunFinish, RunRepository } from "../storage.js";
import type { JsonObject, MultitaskStrategy, QueuedRun, Run, RunStatus } from "../types.js";
import { conflict, notFound } from "../../errors.js";
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

/** The API shape of a run: bookkeeping columns stay inside. */
export function publicRun(run: Run): Run {
  const { run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, created_at, updated_at } = run;
  return { run_id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy, created_at, updated_at };
}

export class SqliteRuns implements RunRepository {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly inflightStmt;
  private readonly claimCandidates;
  private readonly markRunningStmt;
  private readonly finishStmt;
  private readonly nextDueStmt;
  private readonly deleteStmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly threads: SqliteThreads,
    private readonly deliveries: SqliteDeliveries,
  ) {
    this.getStmt = db.prepare<[string], RunRow>("SELECT * FROM runs WHERE run_id = ?");
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
    this.deleteStmt = db.prepare<[string]>("DELETE FROM runs WHERE run_id = ?");
    this.markRunningStmt = db.prepare(
      `UPDATE runs SET status = 'running', attempt = attempt + 1, started_at = coalesce(started_at, @now), updated_at = @now
       WHERE run_id = @run_id`,
    );
    this.finishStmt = db.prepare(
      "UPDATE runs SET status = @status, ended_at = @now, updated_at = @now WHERE run_id = @run_id AND status IN ('pending', 'running')",
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
      const inflight = this.inflightStmt.all(input.thread_id);
      let preempted: RunCreated["preempted"] = [];
      if (inflight.length > 0) {
        if (input.multitask_strategy === "reject") {
          throw conflict(`thread ${input.thread_id} is busy with run ${inflight[0].run_id}; multitask_strategy is "reject"`);
        }
        if (input.multitask_strategy === "interrupt" || input.multitask_strategy === "rollback") {
          preempted = inflight.map((run) => ({ run_id: run.run_id, action: input.multitask_strategy as "interrupt" | "rollback" }));
        }
      }
      const availableAt = new Date(now.getTime() + Math.max(0, input.after_seconds ?? 0) * 1000);
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

  async claim(limit: number, now: Date): Promise<QueuedRun[]> {
    if (limit <= 0) return [];
    return transaction(this.db, () => {
      const nowIso = now.toISOString();
      const rows = this.claimCandidates.all(limit, nowIso);
      for (const row of rows) {
        this.markRunningStmt.run({ run_id: row.run_id, now: nowIso });
        this.threads.setStateSync(row.thread_id, { status: "busy" }, now);
      }
      // What markRunningStmt wrote, without reading each row back.
      return rows.map((row) =>
        fromRow({ ...row, status: "running", attempt: row.attempt + 1, started_at: row.started_at ?? nowIso, updated_at: nowIso }),
      );
    });
  }

  async nextDue(after: Date): Promise<Date | undefined> {
    const row = this.nextDueStmt.get(after.toISOString());
    return row?.at ? new Date(row.at) : undefined;
  }

  async finish(runId: string, finish: RunFinish): Promise<void> {
    const now = new Date();
    transaction(this.db, () => {
      const row = this.getStmt.get(runId);
      if (!row) return;
      // A run ends once: a second finish must not write a second webhook delivery.
      if (this.finishStmt.run({ run_id: runId, status: finish.status, now: now.toISOString() }).changes === 0) return;
      if (finish.delivery) {
        this.deliveries.insertSync({ ...finish.delivery, run_id: runId, thread_id: row.thread_id }, now);
      }
      if (finish.delete_run) this.deleteStmt.run(runId);
      if (finish.delete_thread) {
        this.threads.deleteSync(row.thread_id);
      } else if (finish.thread) {
        this.threads.setStateSync(row.thread_id, finish.thread, now);
      }
    });
  }

  async cancelPending(runId: string, action: "interrupt" | "rollback"): Promise<QueuedRun | undefined> {
    return transaction(this.db, () => {
      const row = this.getStmt.get(runId);
      if (!row || row.status !== "pending") return undefined;
      if (action === "rollback") {
        this.deleteStmt.run(runId);
      } else {
        this.finishStmt.run({ run_id: runId, status: "interrupted", now: new Date().toISOString() });
      }
      return fromRow(row);
    });
  }

  async recoverAbandoned(maxAttempts: number): Promise<QueuedRun[]> {
    return transaction(this.db, () => {
      const running = this.db.prepare<[], RunRow>("SELECT * FROM runs WHERE status = 'running'").all();
      const exhausted = running.filter((row) => row.attempt >= maxAttempts);
      const retry = running.filter((row) => row.attempt < maxAttempts).map((row) => row.run_id);
      if (retry.length > 0) {
        this.db
          .prepare(`UPDATE runs SET status = 'pending', updated_at = ? WHERE run_id IN (${placeholders(retry.length)})`)
          .run(new Date().toISOString(), ...retry);
      }
      return exhausted.map(fromRow);
    });
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
