import type { Database } from "better-sqlite3";
import { transaction } from "../storage/sqlite/transaction.js";
import {
  BaseStore,
  InvalidNamespaceError,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from "@langchain/langgraph-checkpoint";

/**
 * The long-term memory store (`store` in graphs, `/store/*` in the API) on SQLite. Namespaces are
 * kept as their labels joined with "." (labels may not contain "."), so a prefix search is a string
 * prefix test. TTLs are in minutes, as in the API; expired items are invisible at once and removed
 * by `sweepExpired()`.
 */
export const STORE_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS store_items (
  prefix TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  ttl_minutes REAL,
  PRIMARY KEY (prefix, key)
);
CREATE INDEX IF NOT EXISTS store_items_expires_at ON store_items (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS store_items_updated_at ON store_items (updated_at);
`;

export interface StorePutOptions {
  /** Minutes until the item expires; null/undefined: never. */
  ttl?: number | null;
}

export interface StoreReadOptions {
  /** Restart the TTL of items read (default true, as the official server's `refresh_ttl`). */
  refreshTtl?: boolean;
}

/** `PutOperation` with a TTL; the library's type has none. */
export interface TtlPutOperation extends PutOperation {
  ttl?: number | null;
}

interface Row {
  prefix: string;
  key: string;
  value: string;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  ttl_minutes: number | null;
}

const FILTER_OPERATORS = new Set(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]);

/** A filter or TTL the store cannot apply (a client error, like a bad namespace). */
export class StoreRequestError extends Error {
  override name = "StoreRequestError";
}

/**
 * Rejects labels the store cannot keep apart: non-strings, empty labels and labels containing ".".
 * Writes also refuse an empty namespace and the reserved root "langgraph".
 */
export function validateStoreNamespace(namespace: unknown, options: { write?: boolean } = {}): asserts namespace is string[] {
  if (!Array.isArray(namespace)) throw new InvalidNamespaceError("Namespace must be an array of strings.");
  if (namespace.length === 0) {
    if (options.write) throw new InvalidNamespaceError("Namespace cannot be empty.");
    return;
  }
  for (const label of namespace) {
    if (typeof label !== "string") throw new InvalidNamespaceError(`Invalid namespace label ${JSON.stringify(label)}: labels must be strings.`);
    if (label === "") throw new InvalidNamespaceError("Namespace labels cannot be empty strings.");
    if (label.includes(".")) throw new InvalidNamespaceError(`Invalid namespace label '${label}': labels cannot contain periods ('.').`);
  }
  if (options.write && namespace[0] === "langgraph") {
    throw new InvalidNamespaceError(`Root label for namespace cannot be "langgraph".`);
  }
}

function jsonPath(field: string): string {
  return `$."${field.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

type SqlArg = string | number | null;

/** One filter condition on a top-level value field, as SQL over the JSON text. */
function filterCondition(field: string, operator: string, operand: unknown, args: SqlArg[]): string {
  const path = jsonPath(field);
  const equals = (): string => {
    if (operand === null) {
      args.push(path);
      return "COALESCE(json_type(value, ?) = 'null', 0)";
    }
    if (typeof operand === "boolean") {
      args.push(path);
      return `COALESCE(json_type(value, ?) = '${operand ? "true" : "false"}', 0)`;
    }
    if (typeof operand === "number") {
      args.push(path, path, operand);
      return "COALESCE(json_type(value, ?) IN ('integer', 'real') AND json_extract(value, ?) = ?, 0)";
    }
    if (typeof operand === "string") {
      args.push(path, path, operand);
      return "COALESCE(json_type(value, ?) = 'text' AND json_extract(value, ?) = ?, 0)";
    }
    args.push(path, JSON.stringify(operand));
    return "COALESCE((value -> ?) = json(?), 0)";
  };
  switch (operator) {
    case "$eq":
      return equals();
    case "$ne":
      return `NOT ${equals()}`;
    default: {
      const sqlOp = { $gt: ">", $gte: ">=", $lt: "<", $lte: "<=" }[operator];
      if (!sqlOp || (typeof operand !== "number" && typeof operand !== "string")) {
        throw new StoreRequestError(`filter.${field}: ${operator} needs a number or a string`);
      }
      const types = typeof operand === "number" ? "('integer', 'real')" : "('text')";
      args.push(path, path, operand);
      return `COALESCE(json_type(value, ?) IN ${types} AND json_extract(value, ?) ${sqlOp} ?, 0)`;
    }
  }
}

function filterConditions(filter: Record<string, unknown> | undefined, args: SqlArg[]): string[] {
  const conditions: string[] = [];
  for (const [field, expected] of Object.entries(filter ?? {})) {
    if (expected === undefined) continue;
    const isOperatorObject =
      typeof expected === "object" &&
      expected !== null &&
      !Array.isArray(expected) &&
      Object.keys(expected).length > 0 &&
      Object.keys(expected).every((key) => FILTER_OPERATORS.has(key));
    if (isOperatorObject) {
      for (const [operator, operand] of Object.entries(expected)) conditions.push(filterCondition(field, operator, operand, args));
    } else {
      conditions.push(filterCondition(field, "$eq", expected, args));
    }
  }
  return conditions;
}

function matchesPath(labels: string[], path: string[], atEnd: boolean): boolean {
  if (path.length > labels.length) return false;
  const offset = atEnd ? labels.length - path.length : 0;
  return path.every((label, index) => label === "*" || label === labels[offset + index]);
}

function compareNamespaces(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

export class SqliteStore extends BaseStore {
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    options: { now?: () => number } = {},
  ) {
    super();
    this.now = options.now ?? Date.now;
  }

  override async get(namespace: string[], key: string, options: StoreReadOptions = {}): Promise<Item | null> {
    validateStoreNamespace(namespace);
    return this.getItem(namespace, key, options.refreshTtl ?? true);
  }

  override async search(
    namespacePrefix: string[],
    options: { filter?: Record<string, unknown>; limit?: number; offset?: number; query?: string } & StoreReadOptions = {},
  ): Promise<SearchItem[]> {
    validateStoreNamespace(namespacePrefix);
    return this.searchItems({ namespacePrefix, ...options }, options.refreshTtl ?? true);
  }

  override async put(
    namespace: string[],
    key: string,
    value: Record<string, unknown>,
    _index?: false | string[],
    options: StorePutOptions = {},
  ): Promise<void> {
    validateStoreNamespace(namespace, { write: true });
    this.putItem({ namespace, key, value, ttl: options.ttl });
  }

  override async delete(namespace: string[], key: string): Promise<void> {
    validateStoreNamespace(namespace);
    this.putItem({ namespace, key, value: null });
  }

  override async listNamespaces(
    options: { prefix?: string[]; suffix?: string[]; maxDepth?: number; limit?: number; offset?: number } = {},
  ): Promise<string[][]> {
    const matchConditions: MatchCondition[] = [];
    if (options.prefix) matchConditions.push({ matchType: "prefix", path: options.prefix });
    if (options.suffix) matchConditions.push({ matchType: "suffix", path: options.suffix });
    for (const condition of matchConditions) {
      validateStoreNamespace(condition.path.filter((label) => label !== "*"));
    }
    return this.listNamespacesOp({
      matchConditions,
      maxDepth: options.maxDepth,
      limit: options.limit ?? 100,
      offset: options.offset ?? 0,
    });
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    const results = transaction(this.db, () =>
      operations.map((op): unknown => {
        if ("namespacePrefix" in op) return this.searchItems(op, true);
        if ("value" in op) {
          if (op.value !== null) validateStoreNamespace(op.namespace, { write: true });
          this.putItem(op as TtlPutOperation);
          return undefined;
        }
        if ("key" in op) return this.getItem((op as GetOperation).namespace, (op as GetOperation).key, true);
        return this.listNamespacesOp(op as ListNamespacesOperation);
      }),
    );
    return results as OperationResults<Op>;
  }

  /** Deletes expired items; returns how many. Reads already hide them, this only frees space. */
  sweepExpired(): number {
    return this.db.prepare("DELETE FROM store_items WHERE expires_at IS NOT NULL AND expires_at <= ?").run(this.now()).changes;
  }

  private toItem(row: Row): Item {
    return {
      namespace: row.prefix.split("."),
      key: row.key,
      value: JSON.parse(row.value) as Record<string, unknown>,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    };
  }

  private refresh(rows: Row[], now: number): void {
    const withTtl = rows.filter((row) => row.ttl_minutes !== null);
    if (withTtl.length === 0) return;
    const update = this.db.prepare("UPDATE store_items SET expires_at = ? WHERE prefix = ? AND key = ?");
    for (const row of withTtl) update.run(now + row.ttl_minutes! * 60_000, row.prefix, row.key);
  }

  private getItem(namespace: string[], key: string, refreshTtl: boolean): Item | null {
    const now = this.now();
    const row = this.db
      .prepare("SELECT * FROM store_items WHERE prefix = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)")
      .get(namespace.join("."), key, now) as Row | undefined;
    if (!row) return null;
    if (refreshTtl) this.refresh([row], now);
    return this.toItem(row);
  }

  private searchItems(op: SearchOperation, refreshTtl: boolean): SearchItem[] {
    const now = this.now();
    const args: SqlArg[] = [now];
    const where = ["(expires_at IS NULL OR expires_at > ?)"];
    if (op.namespacePrefix.length > 0) {
      const prefix = op.namespacePrefix.join(".");
      where.push("(prefix = ? OR substr(prefix, 1, length(?) + 1) = ? || '.')");
      args.push(prefix, prefix, prefix);
    }
    where.push(...filterConditions(op.filter, args));
    args.push(Math.max(0, Math.floor(op.limit ?? 10)), Math.max(0, Math.floor(op.offset ?? 0)));
    const rows = this.db
      .prepare(`SELECT * FROM store_items WHERE ${where.join(" AND ")} ORDER BY updated_at DESC, prefix, key LIMIT ? OFFSET ?`)
      .all(...args) as Row[];
    if (refreshTtl) this.refresh(rows, now);
    // No embedding index: `query` is accepted but does not rank or narrow the results.
    return rows.map((row) => this.toItem(row));
  }

  private putItem(op: TtlPutOperation): void {
    const prefix = op.namespace.join(".");
    if (op.value === null) {
      this.db.prepare("DELETE FROM store_items WHERE prefix = ? AND key = ?").run(prefix, op.key);
      return;
    }
    const now = this.now();
    const ttl = op.ttl ?? null;
    if (ttl !== null && (!Number.isFinite(ttl) || ttl <= 0)) throw new StoreRequestError("ttl must be a positive number of minutes");
    const expiresAt = ttl === null ? null : now + ttl * 60_000;
    this.db
      .prepare(
        `INSERT INTO store_items (prefix, key, value, created_at, updated_at, expires_at, ttl_minutes)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (prefix, key) DO UPDATE SET
           value = excluded.value,
           updated_at = excluded.updated_at,
           expires_at = excluded.expires_at,
           ttl_minutes = excluded.ttl_minutes,
           created_at = CASE WHEN store_items.expires_at IS NOT NULL AND store_items.expires_at <= excluded.updated_at
                             THEN excluded.created_at ELSE store_items.created_at END`,
      )
      .run(prefix, op.key, JSON.stringify(op.value), now, now, expiresAt, ttl);
  }

  private listNamespacesOp(op: ListNamespacesOperation): string[][] {
    const rows = this.db
      .prepare("SELECT DISTINCT prefix FROM store_items WHERE expires_at IS NULL OR expires_at > ?")
      .all(this.now()) as Array<{ prefix: string }>;
    const seen = new Map<string, string[]>();
    for (const { prefix } of rows) {
      const labels = prefix.split(".");
      const matches = (op.matchConditions ?? []).every((condition) =>
        matchesPath(labels, condition.path, condition.matchType === "suffix"),
      );
      if (!matches) continue;
      const truncated = op.maxDepth !== undefined ? labels.slice(0, op.maxDepth) : labels;
      seen.set(truncated.join("."), truncated);
    }
    const sorted = [...seen.values()].sort(compareNamespaces);
    return sorted.slice(op.offset, op.offset + op.limit);
  }
}

/** An item as the API returns it (`Item` schema): ISO timestamps. */
export function storeItemToJson(item: Item): { namespace: string[]; key: string; value: Record<string, unknown>; created_at: string; updated_at: string } {
  return {
    namespace: item.namespace,
    key: item.key,
    value: item.value,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
  };
}
