import type { SortOrder } from "../types.js";

/**
 * An ORDER BY clause for a column chosen by the client, checked against the allowed names. Ties
 * (rows written in the same millisecond) are broken by insertion order, so pages are stable.
 */
export function orderBy(column: string, order: SortOrder, allowed: readonly string[]): string {
  if (!allowed.includes(column)) throw new Error(`cannot sort by ${column}`);
  const direction = order === "asc" ? "ASC" : "DESC";
  return `ORDER BY "${column}" ${direction}, rowid ${direction}`;
}

export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}
