import { randomUUID } from "node:crypto";
import type { ThreadCreate, ThreadRepository, ThreadSearch } from "../storage.js";
import type { Json, JsonObject, Thread, ThreadStatus } from "../types.js";
import { conflict, notFound } from "../../errors.js";
import { containsJson, indexedScalar, parseJson, toJson } from "./json.js";
import { orderBy, placeholders } from "./sql.js";
import type { SqliteDatabase } from "./database.js";

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

function expiresAt(ttlMinutes: number | undefined, from: Date): string | null {
  return ttlMinutes === undefined ? null : new Date(from.getTime() + ttlMinutes * 60_000).toISOString();
}

export class SqliteThreads implements ThreadRepository {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly indexMetadataStmt;
  private readonly clearMetadataIndexStmt;
  private readonly updateMetadataStmt;

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
    return this.db.transaction(() => {
      if (input.thread_id !== undefined) {
        const existing = this.getStmt.get(input.thread_id);
        if (existing) {
          if (input.if_exists === "do_nothing") return fromRow(existing);
          throw conflict(`thread ${input.thread_id} already exists`);
        }
      }
      return this.insertSync(input, new Date());
    })();
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
    return this.db.transaction(() => this.mergeMetadataSync(threadId, patch.metadata ?? {}, now, patch.ttl_minutes))();
  }

  /** Synchronous delete (thread, its runs), for use inside other transactions. */
  deleteSync(threadId: string): boolean {
    this.db.prepare("DELETE FROM runs WHERE thread_id = ?").run(threadId);
    return this.db.prepare("DELETE FROM threads WHERE thread_id = ?").run(threadId).changes > 0;
  }

  async delete(threadId: string): Promise<boolean> {
    return this.db.transaction(() => this.deleteSync(threadId))();
  }

  private where(query: Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">): {
    clause: string;
    params: unknown[];
    /** Filters SQL cannot express with an index: applied to the rows in memory. */
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
    for (const [key, value] of Object.entries(query.metadata ?? {})) {
      const scalar = indexedScalar(value);
      if (scalar === undefined) {
        residuals.push((row) => containsJson(parseJson<JsonObject>(row.metadata)[key], value));
      } else {
        conditions.push("thread_id IN (SELECT thread_id FROM thread_metadata WHERE key = ? AND value = ?)");
        params.push(key, scalar);
      }
    }
    if (query.values !== undefined) {
      const values = query.values;
      residuals.push((row) => containsJson(parseJson(row.values), values as Json));
    }
    return {
      clause: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "",
      params,
      residual: residuals.length ? (row) => residuals.every((check) => check(row)) : undefined,
    };
  }

  async search(query: ThreadSearch): Promise<Thread[]> {
    const { clause, params, residual } = this.where(query);
    const order = orderBy(query.sort_by ?? "created_at", query.sort_order ?? "desc", [
      "thread_id",
      "status",
      "created_at",
      "updated_at",
    ]);
    if (!residual) {
      return this.db
        .prepare<unknown[], ThreadRow>(`SELECT * FROM threads ${clause} ${order} LIMIT ? OFFSET ?`)
        .all(...params, query.limit, query.offset)
        .map(fromRow);
    }
    const rows = this.db.prepare<unknown[], ThreadRow>(`SELECT * FROM threads ${clause} ${order}`).all(...params);
    return rows.filter(residual).slice(query.offset, query.offset + query.limit).map(fromRow);
  }

  async count(query: Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">): Promise<number> {
    const { clause, params, residual } = this.where(query);
    if (!residual) {
      return this.db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM threads ${clause}`).get(...params)!.n;
    }
    return this.db.prepare<unknown[], ThreadRow>(`SELECT * FROM threads ${clause}`).all(...params).filter(residual).length;
  }

  /** Synchronous state write, for use inside other transactions. */
  setStateSync(threadId: string, state: { values?: Json | null; interrupts?: JsonObject; status?: ThreadStatus }, now: Date): void {
    const current = this.getStmt.get(threadId);
    if (!current) return;
    this.db
      .prepare(`UPDATE threads SET status = ?, "values" = ?, interrupts = ?, updated_at = ? WHERE thread_id = ?`)
      .run(
        state.status ?? current.status,
        state.values !== undefined ? toJson(state.values) : current.values,
        state.interrupts !== undefined ? toJson(state.interrupts) : current.interrupts,
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
