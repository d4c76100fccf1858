/**
 * `listNamespaces`: the dialects read the distinct namespaces of unexpired items (narrowed to the
 * literal start of the prefix condition); matching, depth, order and paging are decided here.
 */
import type { ListNamespacesOperation, MatchCondition } from "@langchain/langgraph-checkpoint";
import { namespaceRange, pageBound, StoreRequestError, validateStoreNamespace, type NamespaceRange } from "./store.js";

export interface NamespaceQuery {
  conditions: MatchCondition[];
  maxDepth: number | undefined;
  limit: number;
  offset: number;
}

/** Validates a ListNamespacesOperation: every label of a path is a valid label or the wildcard "*". */
export function namespaceQuery(op: ListNamespacesOperation): NamespaceQuery {
  const conditions = op.matchConditions ?? [];
  for (const condition of conditions) {
    if (condition.matchType !== "prefix" && condition.matchType !== "suffix") {
      throw new StoreRequestError(`match type ${JSON.stringify(condition.matchType)}: must be "prefix" or "suffix"`);
    }
    validateStoreNamespace(Array.isArray(condition.path) ? condition.path.filter((label) => label !== "*") : condition.path);
  }
  const maxDepth = op.maxDepth;
  if (maxDepth !== undefined && (!Number.isInteger(maxDepth) || maxDepth < 1)) throw new StoreRequestError("max_depth: must be a whole number from 1");
  return { conditions, maxDepth, limit: pageBound(op.limit, 100), offset: pageBound(op.offset, 0) };
}

/** The namespaces a query can match at all: those under the labels its prefix starts with before any "*". */
export function namespaceQueryRange(query: NamespaceQuery): NamespaceRange | null {
  const prefix = query.conditions.find((condition) => condition.matchType === "prefix");
  if (!prefix) return null;
  const wildcard = prefix.path.indexOf("*");
  return namespaceRange(wildcard === -1 ? prefix.path : prefix.path.slice(0, wildcard));
}

function matchesPath(labels: string[], path: readonly string[], atEnd: boolean): boolean {
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

/** The page of matching namespaces, truncated to maxDepth, deduplicated and sorted label by label. */
export function matchNamespaces(prefixes: readonly string[], query: NamespaceQuery): string[][] {
  const found = new Map<string, string[]>();
  for (const prefix of prefixes) {
    const labels = prefix.split(".");
    if (!query.conditions.every((condition) => matchesPath(labels, condition.path, condition.matchType === "suffix"))) continue;
    const truncated = query.maxDepth !== undefined ? labels.slice(0, query.maxDepth) : labels;
    found.set(truncated.join("."), truncated);
  }
  return [...found.values()].sort(compareNamespaces).slice(query.offset, query.offset + query.limit);
}
