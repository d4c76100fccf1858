/**
 * The store's interface (BaseStore's methods, with TTLs, and `batch`, which graphs use), written
 * once: every operation is validated and turned into a `StoreOp` here, and a dialect only executes
 * StoreOps with its SQL, all of one batch in one transaction.
 */
import {
  BaseStore,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
} from "@langchain/langgraph-checkpoint";
import type { HookgraphStore, StorePutOptions, StoreReadOptions } from "../backend.js";
import { parseStoreFilter, type FilterCondition } from "./store-filter.js";
import { matchNamespaces, namespaceQuery, namespaceQueryRange, type NamespaceQuery } from "./store-namespaces.js";
import {
  namespaceRange,
  namespaceText,
  pageBound,
  storeTtl,
  validateStoreKey,
  validateStoreNamespace,
  validateStoreValue,
  type NamespaceRange,
} from "./store.js";

/** `PutOperation` with a TTL; the library's type has none. */
interface TtlPutOperation extends PutOperation {
  ttl?: number | null;
}

/** A validated store operation; `prefix` is the namespace's text. Reads hide expired items. */
export type StoreOp =
  | { kind: "get"; prefix: string; key: string; refreshTtl: boolean }
  | { kind: "search"; range: NamespaceRange | null; filter: FilterCondition[]; limit: number; offset: number; refreshTtl: boolean }
  | { kind: "put"; prefix: string; key: string; value: Record<string, unknown>; ttlMinutes: number | null }
  | { kind: "delete"; prefix: string; key: string }
  /** The distinct namespace texts of unexpired items in `range` (all when null). */
  | { kind: "namespaces"; range: NamespaceRange | null; query: NamespaceQuery };

/** Per op: the item or null (get), the items newest first (search), nothing (put, delete), namespace texts (namespaces). */
export type StoreOpResult = Item | null | Item[] | string[] | undefined;

type SearchOptions = { filter?: Record<string, unknown>; limit?: number; offset?: number; query?: string } & StoreReadOptions;

function getOp(namespace: unknown, key: unknown, refreshTtl = true): StoreOp {
  validateStoreNamespace(namespace);
  validateStoreKey(key);
  return { kind: "get", prefix: namespaceText(namespace), key, refreshTtl };
}

function searchOp(namespacePrefix: unknown, options: SearchOptions): StoreOp {
  validateStoreNamespace(namespacePrefix);
  return {
    kind: "search",
    range: namespaceRange(namespacePrefix),
    filter: parseStoreFilter(options.filter),
    limit: pageBound(options.limit, 10),
    offset: pageBound(options.offset, 0),
    // No embedding index: `query` is accepted but does not rank or narrow the results.
    refreshTtl: options.refreshTtl ?? true,
  };
}

function putOp(op: TtlPutOperation): StoreOp {
  if (op.value === null) {
    validateStoreNamespace(op.namespace);
    validateStoreKey(op.key);
    return { kind: "delete", prefix: namespaceText(op.namespace), key: op.key };
  }
  validateStoreNamespace(op.namespace, { write: true });
  validateStoreKey(op.key, { write: true });
  validateStoreValue(op.value);
  return { kind: "put", prefix: namespaceText(op.namespace), key: op.key, value: op.value, ttlMinutes: storeTtl(op.ttl) };
}

function namespacesOp(op: ListNamespacesOperation): StoreOp {
  const query = namespaceQuery(op);
  return { kind: "namespaces", range: namespaceQueryRange(query), query };
}

function toStoreOp(op: Operation): StoreOp {
  if ("namespacePrefix" in op) return searchOp(op.namespacePrefix, op);
  if ("value" in op) return putOp(op);
  if ("key" in op) return getOp(op.namespace, op.key);
  return namespacesOp(op);
}

export abstract class SqlStore extends BaseStore implements HookgraphStore {
  protected constructor(protected readonly now: () => number) {
    super();
  }

  /** Executes the ops in order, in one transaction when there are several; a result per op. */
  protected abstract execute(ops: readonly StoreOp[]): Promise<StoreOpResult[]>;

  abstract sweepExpired(): Promise<number>;

  override async get(namespace: string[], key: string, options: StoreReadOptions = {}): Promise<Item | null> {
    const [item] = await this.run([getOp(namespace, key, options.refreshTtl)]);
    return item as Item | null;
  }

  override async search(namespacePrefix: string[], options: SearchOptions = {}): Promise<SearchItem[]> {
    const [items] = await this.run([searchOp(namespacePrefix, options)]);
    return items as SearchItem[];
  }

  override async put(
    namespace: string[],
    key: string,
    value: Record<string, unknown>,
    _index?: false | string[],
    options: StorePutOptions = {},
  ): Promise<void> {
    await this.run([putOp({ namespace, key, value, ttl: options.ttl })]);
  }

  override async delete(namespace: string[], key: string): Promise<void> {
    await this.run([putOp({ namespace, key, value: null })]);
  }

  override async listNamespaces(
    options: { prefix?: string[]; suffix?: string[]; maxDepth?: number; limit?: number; offset?: number } = {},
  ): Promise<string[][]> {
    const matchConditions: MatchCondition[] = [];
    if (options.prefix) matchConditions.push({ matchType: "prefix", path: options.prefix });
    if (options.suffix) matchConditions.push({ matchType: "suffix", path: options.suffix });
    const [namespaces] = await this.run([
      namespacesOp({ matchConditions, maxDepth: options.maxDepth, limit: options.limit ?? 100, offset: options.offset ?? 0 }),
    ]);
    return namespaces as string[][];
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    return (await this.run(operations.map(toStoreOp))) as OperationResults<Op>;
  }

  private async run(ops: StoreOp[]): Promise<unknown[]> {
    const results = await this.execute(ops);
    return results.map((result, index) => {
      const op = ops[index];
      return op.kind === "namespaces" ? matchNamespaces(result as string[], op.query) : result;
    });
  }
}
