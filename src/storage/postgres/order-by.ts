import type { Sort } from "../domain/sorting.js";

/**
 * A sort as PostgreSQL ORDER BY, comparing as SQLite does so both dialects list in one order: text
 * by code point (`COLLATE "C"`, whatever the database's collation), NULL before every value
 * (PostgreSQL puts it after by default), ties broken by insertion order (`seq`) so pages are
 * stable. `sort` comes from `chooseSort`, which checked the column against its allow-list.
 */
export function orderBy(sort: Sort): string {
  const collate = sort.kind === "text" ? ' COLLATE "C"' : "";
  const direction = sort.descending ? "DESC" : "ASC";
  return `ORDER BY "${sort.column}"${collate} ${direction} NULLS ${sort.descending ? "LAST" : "FIRST"}, seq ${direction}`;
}
