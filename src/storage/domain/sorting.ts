import { invalid } from "../../errors.js";
import type { SortOrder } from "../types.js";

/**
 * How a sort column compares, for the dialects to say it the same way: text by code point (what
 * SQLite's BINARY collation does, whatever collation a PostgreSQL database was created with),
 * times chronologically.
 */
export type SortKind = "text" | "time";

/** The columns a client may sort a listing by, each with how it compares. */
export type SortColumns<Column extends string = string> = Readonly<Record<Column, SortKind>>;

export interface Sort {
  column: string;
  kind: SortKind;
  descending: boolean;
}

/**
 * The sort a search asked for, with the listing's default column and newest first when it named
 * none. A column outside the allow-list is a 422 naming `sort_by` (the column text goes into SQL,
 * so this check is what keeps it safe).
 */
export function chooseSort<Column extends string>(
  columns: SortColumns<Column>,
  requested: { sort_by?: string; sort_order?: SortOrder },
  fallback: Column,
): Sort {
  const column = requested.sort_by ?? fallback;
  if (!Object.hasOwn(columns, column)) {
    throw invalid(`sort_by: cannot sort by ${JSON.stringify(column)}; one of ${Object.keys(columns).join(", ")}`);
  }
  return { column, kind: columns[column as Column], descending: (requested.sort_order ?? "desc") === "desc" };
}
