import type { SortOrder } from "../types.js";

/** An ORDER BY clause for a column chosen by the client, checked against the allowed names. */
export function orderBy(column: string, order: SortOrder, allowed: readonly string[]): string {
  if (!allowed.includes(column)) throw new Error(`cannot sort by ${column}`);
  return `ORDER BY "${column}" ${order === "asc" ? "ASC" : "DESC"}`;
}

export function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}
