import { randomUUID } from "node:crypto";
import type { ThreadCreate, ThreadRepository, ThreadSearch } from "../storage.js";
import type { Json, JsonObject, Thread, ThreadStatus } from "../types.js";
import { conflict, notFound } from "../../errors.js";
import { containsJson, indexedScalar, jsonContainsSql, parseJson, toJson } from "./json.js";
import { placeholders, sortClause } from "./sql.js";
import { chooseSort } from "../domain/sorting.js";
import { copiedThreadStatus, THREAD_SORT, threadExpiry } from "../domain/threads.js";
import type { SqliteDatabase } from "./database.js";
import { transaction } from "./transaction.js";

interface ThreadRow {
  thread_id: string;
  status: ThreadStatus;
  metadata: string;
  config: string;
  values: string | null;
  interrupts: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
}

function fromRow(row: ThreadRow): Thread {
  return {
    thread_id: row.thread_id,
    status: row.status,
    metadata: parseJson<JsonObject>(row.metadata),
    config: parseJson<JsonObject>(row.config),
    values: parseJson(row.values),
    interrupts: parseJson<JsonObject>(row.interrupts),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** JSON filter conditions kept in SQL (SQLite limits expression depth); the rest are checked in memory. */
const MAX_JSON_CONDITIONS = 100;

function expiresAt(ttlMinutes: number | undefined, from: Date): string | null {
  return threadExpiry(ttlMinutes, from)?.toISOString() ?? null;
}

export class SqliteThreads implements ThreadRepository {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly indexMetadataStmt;
  private readonly clearMetadataIndexStmt;
  private readonly updateMetadataStmt;
  private readonly countMetadataStmt;
  private readonly maxRowidStmt;
  private readonly deleteRunsStmt;
  private readonly deleteStmt;
  private readonly setStateStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.getStmt = db.prepare<[string], ThreadRow>("SELECT * FROM threads WHERE thread_id = ?");
    this.insertStmt = db.prepare(
      `INSERT INTO threads (thread_id, status, metadata, config, "values", interrupts, created_at, updated_at, expires_at)
       VALUES (@thread_id, @status, @metadata, @config, @values, @interrupts, @created_at, @updated_at, @expires_at)`,
    );
    this.indexMetadataStmt = db.prepare("INSERT INTO thread_metadata (thread_id, key, value) VALUES (?, ?, ?)");
    this.clearMetadataIndexStmt = db.prepare("DELETE FROM thread_metadata WHERE thread_id = ?");
    this.updateMetadataStmt = db.prepare(
      "UPDATE threads SET metadata = @metadata, updated_at = @updated_at, expires_at = @expires_at WHERE thread_id = @thread_id",
    );
    this.countMetadataStmt = db.prepare<[string, string, number], { n: number }>(
      "SELECT count(*) AS n FROM (SELECT 1 FROM thread_metadata WHERE key = ? AND value = ? LIMIT ?)",
    );
    this.maxRowidStmt = db.prepare<[], { n: number | null }>("SELECT max(rowid) AS n FROM threads");
    this.deleteRunsStmt = db.prepare<[string]>("DELETE FROM runs WHERE thread_id = ?");
    this.deleteStmt = db.prepare<[string]>("DELETE FROM threads WHERE thread_id = ?");
    // NULL keeps a column: a value written here is always JSON text (`null` included), never SQL NULL.
    this.setStateStmt = db.prepare<[ThreadStatus | null, string | null, string | null, string, string]>(
      `UPDATE threads SET status = coalesce(?, status), "values" = coalesce(?, "values"), interrupts = coalesce(?, interrupts),
         updated_at = ? WHERE thread_id = ?`,
    );
  }

  private indexMetadata(threadId: string, metadata: JsonObject): void {
    this.clearMetadataIndexStmt.run(threadId);
    for (const [key, value] of Object.entries(metadata)) {
      const scalar = indexedScalar(value);
      if (scalar !== undefined) this.indexMetadataStmt.run(threadId, key, scalar);
    }
  }

  /** Synchronous insert for use inside other transactions (runs create their thread). */
  insertSync(input: ThreadCreate, now: Date): Thread {
    const metadata = input.metadata ?? {};
    const row: ThreadRow = {
      thread_id: input.thread_id ?? randomUUID(),
      status: "idle",
      metadata: toJson(metadata),
      config: "{}",
      values: null,
      interrupts: "{}",
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      expires_at: expiresAt(input.ttl_minutes, now),
    };
    this.insertStmt.run(row);
    this.indexMetadata(row.thread_id, metadata);
    return fromRow(row);
  }

  getSync(threadId: string): ThreadRow | undefined {
    return this.getStmt.get(threadId);
  }

  async create(input: ThreadCreate): Promise<Thread> {
    return transaction(this.db, () => {
      if (input.thread_id !== undefined) {
        const existing = this.getStmt.get(input.thread_id);
        if (existing) {
          if (input.if_exists === "do_nothing") return fromRow(existing);
          throw conflict(`thread ${input.thread_id} already exists`);
        }
      }
      return this.insertSync(input, new Date());
    });
  }

  async get(threadId: string): Promise<Thread | undefined> {
    const row = this.getStmt.get(threadId);
    return row && fromRow(row);
  }

  /** Merges metadata key by key (and optionally resets the ttl); synchronous, for use inside transactions. */
  mergeMetadataSync(threadId: string, patch: JsonObject, now: Date, ttlMinutes?: number): Thread {
    const current = this.getStmt.get(threadId);
    if (!current) throw notFound("thread", threadId);
    const metadata = { ...parseJson<JsonObject>(current.metadata), ...patch };
    const row: ThreadRow = {
      ...current,
      metadata: toJson(metadata),
      updated_at: now.toISOString(),
      expires_at: ttlMinutes !== undefined ? expiresAt(ttlMinutes, now) : current.expires_at,
    };
    this.updateMetadataStmt.run(row);
    this.indexMetadata(threadId, metadata);
    return fromRow(row);
  }

  async patch(threadId: string, patch: { metadata?: JsonObject; ttl_minutes?: number }): Promise<Thread> {
    const now = new Date();
    return transaction(this.db, () => this.mergeMetadataSync(threadId, patch.metadata ?? {}, now, patch.ttl_minutes));
  }

  /** Synchronous delete (thread, its runs), for use inside other transactions. */
  deleteSync(threadId: string): boolean {
    this.deleteRunsStmt.run(threadId);
    return this.deleteStmt.run(threadId).changes > 0;
  }

  async delete(threadId: string): Promise<boolean> {
    return transaction(this.db, () => this.deleteSync(threadId));
  }

  async copy(fromThreadId: string, toThreadId: string): Promise<Thread> {
    const now = new Date().toISOString();
    return transaction(this.db, () => {
      const source = this.getStmt.get(fromThreadId);
      if (!source) throw notFound("thread", fromThreadId);
      const row: ThreadRow = {
        ...source,
        thread_id: toThreadId,
        status: copiedThreadStatus(source.status),
        created_at: now,
        updated_at: now,
        expires_at: null,
      };
      this.insertStmt.run(row);
      this.indexMetadata(toThreadId, parseJson<JsonObject>(row.metadata));
      return fromRow(row);
    });
  }

  /**
   * The WHERE clause of a search or count. Top-level scalar metadata goes through the
   * `thread_metadata` index; nested metadata and `values` are JSON conditions in SQL; only arrays
   * inside a filter are checked again in memory (`residual`).
   *
   * With `window` (offset + limit of a search) one metadata condition may drive the query: when it
   * matches few threads, they are fetched by index and sorted; when it matches many, scanning the
   * sort order and probing each thread finds a page sooner. The cheaper of the two is chosen from
   * the condition's match count, counted only up to where the scan becomes the better plan.
   */
  private where(
    query: Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">,
    window?: number,
  ): {
    clause: string;
    params: unknown[];
    residual?: (row: ThreadRow) => boolean;
  } {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const residuals: ((row: ThreadRow) => boolean)[] = [];
    if (query.ids !== undefined) {
      conditions.push(query.ids.length ? `thread_id IN (${placeholders(query.ids.length)})` : "0");
      params.push(...query.ids);
    }
    if (query.status !== undefined) {
      conditions.push("status = ?");
      params.push(query.status);
    }
    const indexed: [string, string][] = [];
    const nested: JsonObject = {};
    for (const [key, value] of Object.entries(query.metadata ?? {})) {
      const scalar = indexedScalar(value);
      if (scalar === undefined) nested[key] = value;
      else indexed.push([key, scalar]);
    }
    const driver = window !== undefined && query.ids === undefined ? this.drivingCondition(indexed, window) : undefined;
    for (const [index, [key, scalar]] of indexed.entries()) {
      conditions.push(
        index === driver
          ? "thread_id IN (SELECT thread_id FROM thread_metadata WHERE key = ? AND value = ?)"
          : "EXISTS (SELECT 1 FROM thread_metadata m WHERE m.thread_id = threads.thread_id AND m.key = ? AND m.value = ?)",
      );
      params.push(key, scalar);
    }
    const json = (column: string, filter: Json, read: (row: ThreadRow) => Json) => {
      const sql = jsonContainsSql(column, "$", filter);
      // SQLite caps expression depth: a huge filter keeps only its first conditions in SQL.
      const kept = sql.conditions.slice(0, MAX_JSON_CONDITIONS);
      for (const condition of kept) {
        conditions.push(condition.sql);
        params.push(...condition.params);
      }
      if (!sql.exact || kept.length < sql.conditions.length) residuals.push((row) => containsJson(read(row), filter));
    };
    if (Object.keys(nested).length > 0) json("metadata", nested, (row) => parseJson(row.metadata));
    if (query.values !== undefined) json(`"values"`, query.values, (row) => parseJson(row.values));
    return {
      clause: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "",
      params,
      residual: residuals.length ? (row) => residuals.every((check) => check(row)) : undefined,
    };
  }

  /** Index of the metadata condition to fetch by index, or undefined when scanning in sort order is cheaper. */
  private drivingCondition(indexed: [string, string][], window: number): number | undefined {
    if (indexed.length === 0) return undefined;
    // Fetching n matches and sorting them costs ~n; scanning the sort order costs ~window * total / n.
    // They break even at n = sqrt(window * total); max(rowid) bounds the total without counting.
    const total = this.maxRowidStmt.get()!.n ?? 0;
    const breakEven = Math.ceil(Math.sqrt(window * total)) + 1;
    let best: { index: number; matches: number } | undefined;
    for (const [index, [key, scalar]] of indexed.entries()) {
      const matches = this.countMetadataStmt.get(key, scalar, breakEven)!.n;
      if (matches < breakEven && (!best || matches < best.matches)) best = { index, matches };
    }
    return best?.index;
  }

  async search(query: ThreadSearch): Promise<Thread[]> {
    const { clause, params, residual } = this.where(query, query.offset + query.limit);
    const order = sortClause(chooseSort(THREAD_SORT, query, "created_at"));
    if (!residual) {
      return this.db
        .prepare<unknown[], ThreadRow>(`SELECT * FROM threads ${clause} ${order} LIMIT ? OFFSET ?`)
        .all(...params, query.limit, query.offset)
        .map(fromRow);
    }
    const matching: ThreadRow[] = [];
    for (const row of this.db.prepare<unknown[], ThreadRow>(`SELECT * FROM threads ${clause} ${order}`).iterate(...params)) {
      if (!residual(row)) continue;
      matching.push(row);
      if (matching.length >= query.offset + query.limit) break;
    }
    return matching.slice(query.offset).map(fromRow);
  }

  async count(query: Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">): Promise<number> {
    const { clause, params, residual } = this.where(query);
    if (!residual) {
      return this.db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM threads ${clause}`).get(...params)!.n;
    }
    let n = 0;
    for (const row of this.db.prepare<unknown[], ThreadRow>(`SELECT * FROM threads ${clause}`).iterate(...params)) if (residual(row)) n += 1;
    return n;
  }

  /** Synchronous state write, for use inside other transactions. */
  setStateSync(threadId: string, state: { values?: Json | null; interrupts?: JsonObject; status?: ThreadStatus }, now: Date): void {
    this.setStateStmt.run(
      state.status ?? null,
      state.values !== undefined ? toJson(state.values) : null,
      state.interrupts !== undefined ? toJson(state.interrupts) : null,
      now.toISOString(),
      threadId,
    );
  }

  async setState(threadId: string, state: { values: Json | null; interrupts: JsonObject; status?: ThreadStatus }): Promise<void> {
    if (!this.getStmt.get(threadId)) throw notFound("thread", threadId);
    this.setStateSync(threadId, state, new Date());
  }

  async expired(now: Date, limit: number): Promise<string[]> {
    return this.db
      .prepare<[string, number], { thread_id: string }>(
        "SELECT thread_id FROM threads WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?",
      )
      .all(now.toISOString(), limit)
      .map((row) => row.thread_id);
  }
}
