import { randomUUID } from "node:crypto";
import type { ThreadCreate, ThreadRepository, ThreadSearch } from "../storage.js";
import type { Json, JsonObject, Thread, ThreadStatus } from "../types.js";
import { conflict, notFound } from "../../errors.js";
import { chooseSort } from "../domain/sorting.js";
import { copiedThreadStatus, THREAD_SORT, threadExpiry } from "../domain/threads.js";
import { transaction, type PgClient, type PgPool, type PgQueryable } from "./database.js";
import { iso, jsonParam, lenientJsonParam } from "./json.js";
import { orderBy } from "./order-by.js";
import { QueryParams } from "./query-params.js";

interface ThreadRow {
  thread_id: string;
  status: ThreadStatus;
  metadata: JsonObject;
  config: JsonObject;
  values: Json | null;
  interrupts: JsonObject;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `thread_id, status, metadata, config, "values", interrupts, created_at, updated_at`;

function fromRow(row: ThreadRow): Thread {
  return {
    thread_id: row.thread_id,
    status: row.status,
    metadata: row.metadata,
    config: row.config,
    values: row.values,
    interrupts: row.interrupts,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

type ThreadFilter = Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">;

/** A search's conditions: jsonb containment (`@>`, what the SQLite side computes by hand) for metadata and values. */
function filterParams(query: ThreadFilter): QueryParams {
  const params = new QueryParams();
  if (query.ids !== undefined) params.where((ids) => `thread_id = ANY(${ids}::text[])`, query.ids);
  if (query.status !== undefined) params.where((status) => `status = ${status}`, query.status);
  if (query.metadata !== undefined) params.where((filter) => `metadata @> ${filter}::jsonb`, jsonParam(query.metadata, "metadata"));
  if (query.values !== undefined) params.where((filter) => `"values" @> ${filter}::jsonb`, jsonParam(query.values, "values"));
  return params;
}

/**
 * Holds the thread for a run being created, until the transaction ends: the row lock makes the
 * creates on one thread, from any process, take turns, so each sees the runs the one before it
 * inserted. Merges `metadata` into the thread's (jsonb `||`: key by key). With `create`, a missing
 * thread is created; creators racing on one new thread all end up here, one inserting and the
 * others waiting for it, then updating. False when the thread does not exist and `create` is false.
 */
export async function holdThreadForRun(db: PgQueryable, threadId: string, metadata: JsonObject, create: boolean, now: Date): Promise<boolean> {
  const params = [threadId, jsonParam(metadata, "metadata"), now.toISOString()];
  if (create) {
    await db.query(
      `INSERT INTO threads (thread_id, status, metadata, config, "values", interrupts, created_at, updated_at)
       VALUES ($1, 'idle', $2::jsonb, '{}', NULL, '{}', $3, $3)
       ON CONFLICT (thread_id) DO UPDATE SET metadata = threads.metadata || EXCLUDED.metadata, updated_at = EXCLUDED.updated_at`,
      params,
    );
    return true;
  }
  const updated = await db.query("UPDATE threads SET metadata = metadata || $2::jsonb, updated_at = $3 WHERE thread_id = $1", params);
  return updated.rowCount === 1;
}

/**
 * Writes the given parts of a thread's state (an absent part stays as it is). Values and interrupts
 * are written whatever they hold: they are what the graph's checkpoints already say. False when
 * the thread does not exist.
 */
export async function setThreadState(
  db: PgQueryable,
  threadId: string,
  state: { values?: Json | null; interrupts?: JsonObject; status?: ThreadStatus },
  now: Date,
): Promise<boolean> {
  const updated = await db.query(
    `UPDATE threads SET status = coalesce($2, status), "values" = coalesce($3::jsonb, "values"),
       interrupts = coalesce($4::jsonb, interrupts), updated_at = $5
     WHERE thread_id = $1`,
    [
      threadId,
      state.status ?? null,
      // JSON text, `null` included (jsonb null, not SQL NULL): only an absent part keeps the column.
      state.values !== undefined ? lenientJsonParam(state.values) : null,
      state.interrupts !== undefined ? lenientJsonParam(state.interrupts) : null,
      now.toISOString(),
    ],
  );
  return updated.rowCount === 1;
}

/**
 * Deletes a thread with its runs, inside the caller's transaction; false when it did not exist.
 * The thread's row goes first: a run create holding it is waited for, and its new run is then
 * seen and deleted too (the other order could leave that run behind without its thread).
 */
export async function deleteThreadRows(client: PgClient, threadId: string): Promise<boolean> {
  const deleted = await client.query("DELETE FROM threads WHERE thread_id = $1", [threadId]);
  await client.query("DELETE FROM runs WHERE thread_id = $1", [threadId]);
  return deleted.rowCount === 1;
}

/** Threads on PostgreSQL, safe with any number of processes writing at once. */
export class PostgresThreads implements ThreadRepository {
  constructor(private readonly pool: PgPool) {}

  async create(input: ThreadCreate): Promise<Thread> {
    const threadId = input.thread_id ?? randomUUID();
    const now = new Date();
    const params = [threadId, jsonParam(input.metadata ?? {}, "metadata"), now.toISOString(), iso(threadExpiry(input.ttl_minutes, now))];
    for (;;) {
      const inserted = await this.pool.query<ThreadRow>(
        `INSERT INTO threads (thread_id, status, metadata, config, "values", interrupts, created_at, updated_at, expires_at)
         VALUES ($1, 'idle', $2::jsonb, '{}', NULL, '{}', $3, $3, $4)
         ON CONFLICT (thread_id) DO NOTHING
         RETURNING ${COLUMNS}`,
        params,
      );
      if (inserted.rows[0]) return fromRow(inserted.rows[0]);
      if (input.if_exists !== "do_nothing") throw conflict(`thread ${threadId} already exists`);
      // This statement sees the row the conflicting insert committed...
      const existing = await this.get(threadId);
      if (existing) return existing;
      // ...unless it was deleted in between: then the id is free again.
    }
  }

  async get(threadId: string): Promise<Thread | undefined> {
    const { rows } = await this.pool.query<ThreadRow>(`SELECT ${COLUMNS} FROM threads WHERE thread_id = $1`, [threadId]);
    return rows[0] && fromRow(rows[0]);
  }

  async patch(threadId: string, patch: { metadata?: JsonObject; ttl_minutes?: number }): Promise<Thread> {
    const now = new Date();
    // One statement: concurrent patches of different keys both survive (the row lock orders them).
    const { rows } = await this.pool.query<ThreadRow>(
      `UPDATE threads SET metadata = metadata || $2::jsonb, updated_at = $3, expires_at = coalesce($4, expires_at)
       WHERE thread_id = $1 RETURNING ${COLUMNS}`,
      [threadId, jsonParam(patch.metadata ?? {}, "metadata"), now.toISOString(), iso(threadExpiry(patch.ttl_minutes, now))],
    );
    if (!rows[0]) throw notFound("thread", threadId);
    return fromRow(rows[0]);
  }

  async delete(threadId: string): Promise<boolean> {
    return transaction(this.pool, (client) => deleteThreadRows(client, threadId));
  }

  async copy(fromThreadId: string, toThreadId: string): Promise<Thread> {
    const { rows } = await this.pool.query<ThreadRow>(`SELECT ${COLUMNS} FROM threads WHERE thread_id = $1`, [fromThreadId]);
    const source = rows[0];
    if (!source) throw notFound("thread", fromThreadId);
    const now = new Date().toISOString();
    // The source as read: the copy is one consistent snapshot of it, whatever happens to it meanwhile.
    const copied = await this.pool.query<ThreadRow>(
      `INSERT INTO threads (thread_id, status, metadata, config, "values", interrupts, created_at, updated_at)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7, $7)
       RETURNING ${COLUMNS}`,
      [
        toThreadId,
        copiedThreadStatus(source.status),
        lenientJsonParam(source.metadata),
        lenientJsonParam(source.config),
        source.values === null ? null : lenientJsonParam(source.values),
        lenientJsonParam(source.interrupts),
        now,
      ],
    );
    return fromRow(copied.rows[0]);
  }

  async search(query: ThreadSearch): Promise<Thread[]> {
    const sort = chooseSort(THREAD_SORT, query, "created_at");
    const params = filterParams(query);
    const { rows } = await this.pool.query<ThreadRow>(
      `SELECT ${COLUMNS} FROM threads ${params.whereClause()} ${orderBy(sort)} LIMIT ${params.bind(query.limit)} OFFSET ${params.bind(query.offset)}`,
      params.values,
    );
    return rows.map(fromRow);
  }

  async count(query: ThreadFilter): Promise<number> {
    const params = filterParams(query);
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM threads ${params.whereClause()}`, params.values);
    return rows[0].n;
  }

  async setState(threadId: string, state: { values: Json | null; interrupts: JsonObject; status?: ThreadStatus }): Promise<void> {
    if (!(await setThreadState(this.pool, threadId, state, new Date()))) throw notFound("thread", threadId);
  }

  async expired(now: Date, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ thread_id: string }>(
      "SELECT thread_id FROM threads WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
      [now.toISOString(), limit],
    );
    return rows.map((row) => row.thread_id);
  }
}
