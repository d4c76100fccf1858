/**
 * The long-term memory store on PostgreSQL (`store_items`, migration 1). Values are jsonb, times
 * timestamptz, text in byte order (the columns are COLLATE "C", as SQLite's BINARY); the rules are
 * the shared ones (`domain/sql-store.ts`), only the SQL is here. A read and the TTL refresh it
 * causes are one statement.
 */
import type { Item } from "@langchain/langgraph-checkpoint";
import { transaction, type PgPool, type PgQueryable } from "./database.js";
import { QueryParams } from "./query-params.js";
import { SqlStore, type StoreOp, type StoreOpResult } from "../domain/sql-store.js";
import { expiresAt, storeItem, type NamespaceRange } from "../domain/store.js";
import type { EqualityOperand, FilterCondition } from "../domain/store-filter.js";

interface Row {
  prefix: string;
  key: string;
  value: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const ORDER = "ORDER BY updated_at DESC, prefix, key";

const notExpired = (now: string) => `(expires_at IS NULL OR expires_at > ${now}::timestamptz)`;

function inRange(range: NamespaceRange, params: QueryParams): string {
  return `(prefix = ${params.bind(range.exact)} OR (prefix >= ${params.bind(range.below)} AND prefix < ${params.bind(range.above)}))`;
}

/**
 * The rows `select` finds (it must yield ttl_minutes), in store order; when `refresh` holds, the
 * TTL of those that have one restarts at `now`.
 */
function readAndRefresh(select: string, now: string, refresh: string): string {
  return `WITH hit AS (${select}),
    refreshed AS (
      UPDATE store_items s SET expires_at = ${now}::timestamptz + s.ttl_minutes * interval '1 minute'
      FROM hit WHERE ${refresh}::boolean AND hit.ttl_minutes IS NOT NULL AND s.prefix = hit.prefix AND s.key = hit.key
    )
    SELECT prefix, key, value, created_at, updated_at FROM hit ${ORDER}`;
}

function operandJson(operand: EqualityOperand): string {
  switch (operand.type) {
    case "null":
      return "null";
    case "structure":
      return operand.json;
    default:
      return JSON.stringify(operand.value);
  }
}

function filterSql(condition: FilterCondition, params: QueryParams): string {
  const field = `(value -> ${params.bind(condition.field)}::text)`;
  if (condition.kind === "equals") {
    // jsonb equality is typed (1, true and "1" differ), numeric for numbers, blind to key order.
    const sql = `COALESCE(${field} = ${params.bind(operandJson(condition.operand))}::jsonb, false)`;
    return condition.negate ? `NOT ${sql}` : sql;
  }
  if (typeof condition.operand === "number") {
    return `COALESCE(jsonb_typeof(${field}) = 'number' AND ${field} ${condition.operator} ${params.bind(JSON.stringify(condition.operand))}::jsonb, false)`;
  }
  return `COALESCE(jsonb_typeof(${field}) = 'string' AND (${field} #>> '{}') COLLATE "C" ${condition.operator} ${params.bind(condition.operand)}::text, false)`;
}

const toItem = (row: Row): Item => storeItem(row.prefix, row.key, row.value, row.created_at, row.updated_at);

export class PostgresStore extends SqlStore {
  constructor(
    private readonly pool: PgPool,
    options: { now?: () => number } = {},
  ) {
    super(options.now ?? Date.now);
  }

  protected async execute(ops: readonly StoreOp[]): Promise<StoreOpResult[]> {
    // One statement per op: a single op needs no transaction of its own.
    if (ops.length === 1) return [await this.apply(this.pool, ops[0])];
    return transaction(this.pool, async (client) => {
      const results: StoreOpResult[] = [];
      for (const op of ops) results.push(await this.apply(client, op));
      return results;
    });
  }

  async sweepExpired(): Promise<number> {
    const { rowCount } = await this.pool.query("DELETE FROM store_items WHERE expires_at <= $1", [new Date(this.now())]);
    return rowCount ?? 0;
  }

  private async apply(db: PgQueryable, op: StoreOp): Promise<StoreOpResult> {
    const now = this.now();
    switch (op.kind) {
      case "get": {
        const params = new QueryParams();
        const at = params.bind(new Date(now));
        const select = `SELECT prefix, key, value, created_at, updated_at, ttl_minutes FROM store_items
          WHERE prefix = ${params.bind(op.prefix)} AND key = ${params.bind(op.key)} AND ${notExpired(at)}`;
        const { rows } = await db.query<Row>(readAndRefresh(select, at, params.bind(op.refreshTtl)), params.values);
        return rows.length > 0 ? toItem(rows[0]) : null;
      }
      case "search":
        return this.searchItems(db, op, now);
      case "put": {
        const expires = expiresAt(now, op.ttlMinutes);
        await db.query(
          `INSERT INTO store_items (prefix, key, value, created_at, updated_at, expires_at, ttl_minutes)
           VALUES ($1, $2, $3::jsonb, $4, $4, $5, $6)
           ON CONFLICT (prefix, key) DO UPDATE SET
             value = EXCLUDED.value,
             updated_at = EXCLUDED.updated_at,
             expires_at = EXCLUDED.expires_at,
             ttl_minutes = EXCLUDED.ttl_minutes,
             -- an expired item that was not swept yet is gone: this put starts a new one
             created_at = CASE WHEN store_items.expires_at IS NOT NULL AND store_items.expires_at <= EXCLUDED.updated_at
                               THEN EXCLUDED.created_at ELSE store_items.created_at END`,
          [op.prefix, op.key, JSON.stringify(op.value), new Date(now), expires === null ? null : new Date(expires), op.ttlMinutes],
        );
        return undefined;
      }
      case "delete":
        await db.query("DELETE FROM store_items WHERE prefix = $1 AND key = $2", [op.prefix, op.key]);
        return undefined;
      case "namespaces": {
        const params = new QueryParams();
        const where = [notExpired(params.bind(new Date(now)))];
        if (op.range) where.push(inRange(op.range, params));
        const { rows } = await db.query<{ prefix: string }>(`SELECT DISTINCT prefix FROM store_items WHERE ${where.join(" AND ")}`, params.values);
        return rows.map((row) => row.prefix);
      }
    }
  }

  private async searchItems(db: PgQueryable, op: Extract<StoreOp, { kind: "search" }>, now: number): Promise<Item[]> {
    const params = new QueryParams();
    const at = params.bind(new Date(now));
    const where = [notExpired(at)];
    if (op.range) where.push(inRange(op.range, params));
    for (const condition of op.filter) where.push(filterSql(condition, params));
    const select = `SELECT prefix, key, value, created_at, updated_at, ttl_minutes FROM store_items
      WHERE ${where.join(" AND ")} ${ORDER} LIMIT ${params.bind(op.limit)} OFFSET ${params.bind(op.offset)}`;
    const { rows } = await db.query<Row>(readAndRefresh(select, at, params.bind(op.refreshTtl)), params.values);
    return rows.map(toItem);
  }
}
