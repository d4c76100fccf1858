import type { Cron, CronCreate, CronFilter, CronRepository, CronSearch, CronUpdate } from "../storage.js";
import type { JsonObject } from "../types.js";
import { notFound } from "../../errors.js";
import { CRON_SORT, newCron, updatedCron } from "../domain/crons.js";
import { ChangeListeners } from "../domain/listeners.js";
import { chooseSort } from "../domain/sorting.js";
import { containsJson, parseJson, toJson } from "./json.js";
import { LimitedStatement, sortClause } from "./sql.js";
import type { SqliteDatabase } from "./database.js";
import { transaction } from "./transaction.js";
import type { SqliteThreads } from "./threads.js";

interface CronRow {
  cron_id: string;
  assistant_id: string;
  thread_id: string | null;
  schedule: string;
  timezone: string;
  end_time: string | null;
  enabled: number;
  on_run_completed: "delete" | "keep" | null;
  payload: string;
  metadata: string;
  user_id: string | null;
  next_run_date: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(row: CronRow): Cron {
  return {
    cron_id: row.cron_id,
    assistant_id: row.assistant_id,
    thread_id: row.thread_id,
    on_run_completed: row.on_run_completed,
    end_time: row.end_time,
    schedule: row.schedule,
    timezone: row.timezone,
    created_at: row.created_at,
    updated_at: row.updated_at,
    payload: parseJson<JsonObject>(row.payload),
    user_id: row.user_id,
    next_run_date: row.next_run_date,
    metadata: parseJson<JsonObject>(row.metadata),
    enabled: row.enabled === 1,
  };
}

function toRow(cron: Cron): CronRow {
  return { ...cron, enabled: cron.enabled ? 1 : 0, payload: toJson(cron.payload), metadata: toJson(cron.metadata) };
}

export class SqliteCrons implements CronRepository {
  private readonly listeners = new ChangeListeners();
  private readonly getStmt;
  private readonly assistantExistsStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly dueRows;
  private readonly claimStmt;
  private readonly nextDueStmt;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly threads: SqliteThreads,
  ) {
    this.getStmt = db.prepare<[string], CronRow>("SELECT * FROM crons WHERE cron_id = ?");
    this.assistantExistsStmt = db.prepare<[string], { found: 1 }>("SELECT 1 AS found FROM assistants WHERE assistant_id = ?");
    this.insertStmt = db.prepare(
      `INSERT INTO crons (cron_id, assistant_id, thread_id, schedule, timezone, end_time, enabled, on_run_completed, payload,
         metadata, user_id, next_run_date, created_at, updated_at)
       VALUES (@cron_id, @assistant_id, @thread_id, @schedule, @timezone, @end_time, @enabled, @on_run_completed, @payload,
         @metadata, @user_id, @next_run_date, @created_at, @updated_at)`,
    );
    this.updateStmt = db.prepare(
      `UPDATE crons SET schedule = @schedule, timezone = @timezone, end_time = @end_time, enabled = @enabled,
         on_run_completed = @on_run_completed, payload = @payload, metadata = @metadata, next_run_date = @next_run_date,
         updated_at = @updated_at
       WHERE cron_id = @cron_id`,
    );
    this.deleteStmt = db.prepare("DELETE FROM crons WHERE cron_id = ?");
    this.dueRows = new LimitedStatement<[string], CronRow>(db, "SELECT * FROM crons WHERE enabled = 1 AND next_run_date <= ? ORDER BY next_run_date");
    this.claimStmt = db.prepare(
      "UPDATE crons SET next_run_date = @next WHERE cron_id = @cron_id AND next_run_date = @seen AND enabled = 1",
    );
    this.nextDueStmt = db.prepare<[], { at: string | null }>("SELECT min(next_run_date) AS at FROM crons WHERE enabled = 1");
  }

  async create(input: CronCreate): Promise<Cron> {
    const cron = newCron(input, new Date().toISOString());
    transaction(this.db, () => {
      if (input.thread_id !== null && !this.threads.getSync(input.thread_id)) throw notFound("thread", input.thread_id);
      // Named rather than left to the foreign key, whose error would be a 500.
      if (!this.assistantExistsStmt.get(input.assistant_id)) throw notFound("assistant", input.assistant_id);
      this.insertStmt.run(toRow(cron));
    });
    this.listeners.notify();
    return cron;
  }

  async get(cronId: string): Promise<Cron | undefined> {
    const row = this.getStmt.get(cronId);
    return row && fromRow(row);
  }

  async update(cronId: string, update: CronUpdate): Promise<Cron> {
    const cron = transaction(this.db, () => {
      const row = this.getStmt.get(cronId);
      if (!row) throw notFound("cron", cronId);
      const next = updatedCron(fromRow(row), update, new Date().toISOString());
      this.updateStmt.run(toRow(next));
      return next;
    });
    this.listeners.notify();
    return cron;
  }

  async delete(cronId: string): Promise<boolean> {
    const deleted = this.deleteStmt.run(cronId).changes > 0;
    if (deleted) this.listeners.notify();
    return deleted;
  }

  private filtered(query: CronFilter & Partial<Pick<CronSearch, "sort_by" | "sort_order">>): CronRow[] {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const key of ["assistant_id", "thread_id"] as const) {
      if (query[key] === undefined) continue;
      where.push(`${key} = ?`);
      params.push(query[key]);
    }
    if (query.enabled !== undefined) {
      where.push("enabled = ?");
      params.push(query.enabled ? 1 : 0);
    }
    const sql = `SELECT * FROM crons ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ${sortClause(chooseSort(CRON_SORT, query, "created_at"))}`;
    const rows = this.db.prepare<unknown[], CronRow>(sql).all(...params);
    // Crons are few: metadata containment is checked in memory, as for assistants.
    return query.metadata ? rows.filter((row) => containsJson(parseJson(row.metadata), query.metadata!)) : rows;
  }

  async search(query: CronSearch): Promise<Cron[]> {
    return this.filtered(query).slice(query.offset, query.offset + query.limit).map(fromRow);
  }

  async count(query: CronFilter): Promise<number> {
    return this.filtered(query).length;
  }

  async due(now: Date, limit: number): Promise<Cron[]> {
    return this.dueRows.all(limit, now.toISOString()).map(fromRow);
  }

  async claim(cronId: string, seen: string, next: string | null): Promise<boolean> {
    return this.claimStmt.run({ cron_id: cronId, seen, next }).changes === 1;
  }

  async nextDue(): Promise<Date | undefined> {
    const at = this.nextDueStmt.get()?.at;
    return at ? new Date(at) : undefined;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }
}
