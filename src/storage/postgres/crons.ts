import pg from "pg";
import type { Cron, CronCreate, CronFilter, CronRepository, CronSearch, CronUpdate } from "../storage.js";
import type { JsonObject } from "../types.js";
import { notFound } from "../../errors.js";
import { CRON_SORT, newCron, updatedCron } from "../domain/crons.js";
import { ChangeListeners } from "../domain/listeners.js";
import { chooseSort } from "../domain/sorting.js";
import { transaction, type PgPool } from "./database.js";
import { iso, jsonParam } from "./json.js";
import { orderBy } from "./order-by.js";
import { QueryParams } from "./query-params.js";
import { textParam } from "./text.js";

interface CronRow {
  cron_id: string;
  assistant_id: string;
  thread_id: string | null;
  schedule: string;
  timezone: string;
  end_time: Date | null;
  enabled: boolean;
  on_run_completed: "delete" | "keep" | null;
  payload: JsonObject;
  metadata: JsonObject;
  user_id: string | null;
  next_run_date: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** Every column of a cron, in the order of `cronParams`. */
const COLUMNS =
  "cron_id, assistant_id, thread_id, schedule, timezone, end_time, enabled, on_run_completed, payload, metadata, user_id, next_run_date, created_at, updated_at";
const PLACEHOLDERS = COLUMNS.split(", ").map((_, i) => `$${i + 1}`).join(", ");
/** The foreign keys a cron's insert can break, and what it then names as missing. */
const MISSING_ON_INSERT: Record<string, (cron: Cron) => Error> = {
  crons_thread_id_fkey: (cron) => notFound("thread", cron.thread_id!),
  crons_assistant_id_fkey: (cron) => notFound("assistant", cron.assistant_id),
};

function fromRow(row: CronRow): Cron {
  return {
    cron_id: row.cron_id,
    assistant_id: row.assistant_id,
    thread_id: row.thread_id,
    on_run_completed: row.on_run_completed,
    end_time: iso(row.end_time),
    schedule: row.schedule,
    timezone: row.timezone,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    payload: row.payload,
    user_id: row.user_id,
    next_run_date: iso(row.next_run_date),
    metadata: row.metadata,
    enabled: row.enabled,
  };
}

/**
 * The payload's JSON, each run field checked on its own so that a 422 names the field the client
 * sent (`input`, `config`, ...), not the column that keeps them together.
 */
function payloadParam(payload: JsonObject): string {
  for (const [field, value] of Object.entries(payload)) jsonParam(value, field);
  return JSON.stringify(payload);
}

/** A cron's columns as parameters `$1...$14`, in `COLUMNS` order. */
function cronParams(cron: Cron): unknown[] {
  return [
    textParam(cron.cron_id, "cron_id"),
    textParam(cron.assistant_id, "assistant_id"),
    textParam(cron.thread_id, "thread_id"),
    textParam(cron.schedule, "schedule"),
    textParam(cron.timezone, "timezone"),
    cron.end_time,
    cron.enabled,
    cron.on_run_completed,
    payloadParam(cron.payload),
    jsonParam(cron.metadata, "metadata"),
    cron.user_id,
    cron.next_run_date,
    cron.created_at,
    cron.updated_at,
  ];
}

/**
 * Crons on PostgreSQL. A firing is claimed with a conditional UPDATE, so among any number of
 * schedulers exactly one wins each due time. The foreign keys decide whether a cron's thread and
 * assistant exist, at the moment of the insert.
 */
export class PostgresCrons implements CronRepository {
  private readonly listeners = new ChangeListeners();

  constructor(private readonly pool: PgPool) {}

  async create(input: CronCreate): Promise<Cron> {
    const cron = newCron(input, new Date().toISOString());
    const params = cronParams(cron);
    try {
      await this.pool.query(`INSERT INTO crons (${COLUMNS}) VALUES (${PLACEHOLDERS})`, params);
    } catch (error) {
      const missing = error instanceof pg.DatabaseError && error.code === "23503" && MISSING_ON_INSERT[error.constraint ?? ""];
      throw missing ? missing(cron) : error;
    }
    this.listeners.notify();
    return cron;
  }

  async get(cronId: string): Promise<Cron | undefined> {
    const { rows } = await this.pool.query<CronRow>(`SELECT ${COLUMNS} FROM crons WHERE cron_id = $1`, [textParam(cronId, "cron_id")]);
    return rows[0] && fromRow(rows[0]);
  }

  async update(cronId: string, update: CronUpdate): Promise<Cron> {
    const id = textParam(cronId, "cron_id");
    const cron = await transaction(this.pool, async (client) => {
      // Locked, so that a firing claimed meanwhile is not undone by writing back the next_run_date read here.
      const { rows } = await client.query<CronRow>(`SELECT ${COLUMNS} FROM crons WHERE cron_id = $1 FOR UPDATE`, [id]);
      if (!rows[0]) throw notFound("cron", cronId);
      const next = updatedCron(fromRow(rows[0]), update, new Date().toISOString());
      await client.query(`UPDATE crons SET (${COLUMNS}) = (${PLACEHOLDERS}) WHERE cron_id = $1`, cronParams(next));
      return next;
    });
    this.listeners.notify();
    return cron;
  }

  async delete(cronId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("DELETE FROM crons WHERE cron_id = $1", [textParam(cronId, "cron_id")]);
    const deleted = rowCount !== null && rowCount > 0;
    if (deleted) this.listeners.notify();
    return deleted;
  }

  private filters(query: CronFilter): QueryParams {
    const params = new QueryParams();
    for (const column of ["assistant_id", "thread_id"] as const) {
      if (query[column] !== undefined) params.where((p) => `${column} = ${p}`, textParam(query[column], column));
    }
    if (query.enabled !== undefined) params.where((p) => `enabled = ${p}`, query.enabled);
    if (query.metadata !== undefined) params.where((p) => `metadata @> ${p}::jsonb`, jsonParam(query.metadata, "metadata"));
    return params;
  }

  async search(query: CronSearch): Promise<Cron[]> {
    const sort = chooseSort(CRON_SORT, query, "created_at");
    const params = this.filters(query);
    const { rows } = await this.pool.query<CronRow>(
      `SELECT ${COLUMNS} FROM crons ${params.whereClause()} ${orderBy(sort)}
       LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    return rows.map(fromRow);
  }

  async count(query: CronFilter): Promise<number> {
    const params = this.filters(query);
    const { rows } = await this.pool.query<{ total: number }>(`SELECT count(*) AS total FROM crons ${params.whereClause()}`, params.values);
    return rows[0].total;
  }

  async due(now: Date, limit: number): Promise<Cron[]> {
    const { rows } = await this.pool.query<CronRow>(
      `SELECT ${COLUMNS} FROM crons WHERE enabled AND next_run_date <= $1 ORDER BY next_run_date, seq LIMIT $2`,
      [now, limit],
    );
    return rows.map(fromRow);
  }

  async claim(cronId: string, seen: string, next: string | null): Promise<boolean> {
    // READ COMMITTED re-checks the WHERE on the row a concurrent claimer committed: the loser finds
    // next_run_date moved on and updates nothing.
    const { rowCount } = await this.pool.query(
      "UPDATE crons SET next_run_date = $3 WHERE cron_id = $1 AND next_run_date = $2 AND enabled",
      [textParam(cronId, "cron_id"), seen, next],
    );
    return rowCount === 1;
  }

  async nextDue(): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ at: Date | null }>("SELECT min(next_run_date) AS at FROM crons WHERE enabled");
    return rows[0].at ?? undefined;
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }
}
