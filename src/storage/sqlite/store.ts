/**
 * The long-term memory store on SQLite (`store_items`, migration 6). Values are JSON text, times
 * ms since the epoch; the rules are the shared ones (`domain/sql-store.ts`), only the SQL is here.
 */
import type { Item } from "@langchain/langgraph-checkpoint";
import type { Statement } from "better-sqlite3";
import type { SqliteDatabase } from "./database.js";
import { transaction } from "./transaction.js";
import { SqlStore, type StoreOp, type StoreOpResult } from "../domain/sql-store.js";
import { expiresAt, storeItem, type NamespaceRange } from "../domain/store.js";
import type { EqualityOperand, FilterCondition } from "../domain/store-filter.js";

interface Row {
  prefix: string;
  key: string;
  value: string;
  created_at: number;
  updated_at: number;
  ttl_minutes: number | null;
}

type SqlArg = string | number | null;

const COLUMNS = "prefix, key, value, created_at, updated_at, ttl_minutes";
const NOT_EXPIRED = "(expires_at IS NULL OR expires_at > ?)";
const IN_RANGE = "(prefix = ? OR (prefix >= ? AND prefix < ?))";

const rangeArgs = (range: NamespaceRange): SqlArg[] => [range.exact, range.below, range.above];

/** A top-level field as a JSON path; quoted, so any name (with ".", "[" or quotes) is one label. */
function jsonPath(field: string): string {
  return `$."${field.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function equals(path: string, operand: EqualityOperand, args: SqlArg[]): string {
  switch (operand.type) {
    case "null":
      args.push(path);
      return "COALESCE(json_type(value, ?) = 'null', 0)";
    case "boolean":
      args.push(path);
      return `COALESCE(json_type(value, ?) = '${operand.value ? "true" : "false"}', 0)`;
    case "number":
      args.push(path, path, operand.value);
      return "COALESCE(json_type(value, ?) IN ('integer', 'real') AND json_extract(value, ?) = ?, 0)";
    case "string":
      args.push(path, path, operand.value);
      return "COALESCE(json_type(value, ?) = 'text' AND json_extract(value, ?) = ?, 0)";
    case "structure":
      // json_tree lists every node with its path: equal documents list the same nodes, whatever
      // the order of their object keys (as jsonb equality on PostgreSQL). A missing field lists
      // none. (json_tree has a `value` column of its own: the item's is named with its table.)
      args.push(path, operand.json, operand.json, path);
      return `(NOT EXISTS (SELECT fullkey, type, atom FROM json_tree(store_items.value -> ?) EXCEPT SELECT fullkey, type, atom FROM json_tree(?))
           AND NOT EXISTS (SELECT fullkey, type, atom FROM json_tree(?) EXCEPT SELECT fullkey, type, atom FROM json_tree(store_items.value -> ?)))`;
  }
}

function filterSql(condition: FilterCondition, args: SqlArg[]): string {
  const path = jsonPath(condition.field);
  if (condition.kind === "equals") {
    const sql = equals(path, condition.operand, args);
    return condition.negate ? `NOT ${sql}` : sql;
  }
  const types = typeof condition.operand === "number" ? "('integer', 'real')" : "('text')";
  args.push(path, path, condition.operand);
  return `COALESCE(json_type(value, ?) IN ${types} AND json_extract(value, ?) ${condition.operator} ?, 0)`;
}

function toItem(row: Row): Item {
  return storeItem(row.prefix, row.key, JSON.parse(row.value) as Record<string, unknown>, new Date(row.created_at), new Date(row.updated_at));
}

export class SqliteStore extends SqlStore {
  private readonly statements: {
    get: Statement<[string, string, number], Row>;
    refresh: Statement<[number | null, string, string]>;
    put: Statement<[string, string, string, number, number, number | null, number | null]>;
    delete: Statement<[string, string]>;
    namespaces: Statement<[number], string>;
    namespacesInRange: Statement<[number, ...SqlArg[]], string>;
    sweep: Statement<[number]>;
  };

  /** `db` holds `store_items` (the storage's migrations have run on it). */
  constructor(
    private readonly db: SqliteDatabase,
    options: { now?: () => number } = {},
  ) {
    super(options.now ?? Date.now);
    this.statements = {
      get: db.prepare(`SELECT ${COLUMNS} FROM store_items WHERE prefix = ? AND key = ? AND ${NOT_EXPIRED}`),
      refresh: db.prepare("UPDATE store_items SET expires_at = ? WHERE prefix = ? AND key = ?"),
      put: db.prepare(
        `INSERT INTO store_items (prefix, key, value, created_at, updated_at, expires_at, ttl_minutes)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (prefix, key) DO UPDATE SET
           value = excluded.value,
           updated_at = excluded.updated_at,
           expires_at = excluded.expires_at,
           ttl_minutes = excluded.ttl_minutes,
           -- an expired item that was not swept yet is gone: this put starts a new one
           created_at = CASE WHEN store_items.expires_at IS NOT NULL AND store_items.expires_at <= excluded.updated_at
                             THEN excluded.created_at ELSE store_items.created_at END`,
      ),
      delete: db.prepare("DELETE FROM store_items WHERE prefix = ? AND key = ?"),
      namespaces: db.prepare<[number], string>(`SELECT DISTINCT prefix FROM store_items WHERE ${NOT_EXPIRED}`).pluck(),
      namespacesInRange: db
        .prepare<[number, ...SqlArg[]], string>(`SELECT DISTINCT prefix FROM store_items WHERE ${NOT_EXPIRED} AND ${IN_RANGE}`)
        .pluck(),
      sweep: db.prepare("DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= ?"),
    };
  }

  protected async execute(ops: readonly StoreOp[]): Promise<StoreOpResult[]> {
    if (ops.length === 1) return [this.apply(ops[0])];
    return transaction(this.db, () => ops.map((op) => this.apply(op)));
  }

  async sweepExpired(): Promise<number> {
    return this.statements.sweep.run(this.now()).changes;
  }

  private apply(op: StoreOp): StoreOpResult {
    const now = this.now();
    switch (op.kind) {
      case "get": {
        const row = this.statements.get.get(op.prefix, op.key, now);
        if (!row) return null;
        if (op.refreshTtl) this.refresh([row], now);
        return toItem(row);
      }
      case "search":
        return this.searchItems(op, now);
      case "put": {
        const ttl = op.ttlMinutes;
        this.statements.put.run(op.prefix, op.key, JSON.stringify(op.value), now, now, expiresAt(now, ttl), ttl);
        return undefined;
      }
      case "delete":
        this.statements.delete.run(op.prefix, op.key);
        return undefined;
      case "namespaces":
        return op.range ? this.statements.namespacesInRange.all(now, ...rangeArgs(op.range)) : this.statements.namespaces.all(now);
    }
  }

  private searchItems(op: Extract<StoreOp, { kind: "search" }>, now: number): Item[] {
    const args: SqlArg[] = [now];
    const where = [NOT_EXPIRED];
    if (op.range) {
      where.push(IN_RANGE);
      args.push(...rangeArgs(op.range));
    }
    for (const condition of op.filter) where.push(filterSql(condition, args));
    args.push(op.limit, op.offset);
    const rows = this.db
      .prepare<SqlArg[], Row>(`SELECT ${COLUMNS} FROM store_items WHERE ${where.join(" AND ")} ORDER BY updated_at DESC, prefix, key LIMIT ? OFFSET ?`)
      .all(...args);
    if (op.refreshTtl) this.refresh(rows, now);
    return rows.map(toItem);
  }

  private refresh(rows: Row[], now: number): void {
    const withTtl = rows.filter((row) => row.ttl_minutes !== null);
    if (withTtl.length === 0) return;
    // One commit for all of them (a savepoint inside a batch).
    transaction(this.db, () => {
      for (const row of withTtl) this.statements.refresh.run(expiresAt(now, row.ttl_minutes), row.prefix, row.key);
    });
  }
}
