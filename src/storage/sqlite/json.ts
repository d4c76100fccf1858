import type { Json, JsonObject } from "../types.js";

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function parseJson<T = Json>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

/** True when every key of `filter` equals (deeply) the same key of `value`: jsonb `@>` for objects. */
export function containsJson(value: Json | undefined, filter: Json): boolean {
  if (filter === null || typeof filter !== "object") return value === filter;
  if (Array.isArray(filter)) {
    return Array.isArray(value) && filter.every((item) => value.some((candidate) => containsJson(candidate, item)));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  return Object.entries(filter).every(([key, sub]) => containsJson((value as JsonObject)[key], sub));
}

/**
 * The text a scalar metadata value is indexed under (`thread_metadata.value`), or undefined for
 * objects and arrays, which are matched by scanning.
 */
export function indexedScalar(value: Json): string | undefined {
  if (value !== null && typeof value === "object") return undefined;
  return JSON.stringify(value);
}

/** One SQL condition with its bound parameters. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** SQL conditions equivalent to `containsJson(<column at path>, filter)`, as far as SQL can say it. */
export interface JsonContainsSql {
  /** Each one is necessary for containment; all together are sufficient when `exact`. */
  conditions: SqlCondition[];
  /** False when part of the filter (an array) is only approximated: check the rows with `containsJson` too. */
  exact: boolean;
}

/**
 * `containsJson` as SQL over a JSON text column: objects key by key, scalars by JSON type and value
 * (so `1`, `true` and `"1"` stay apart). Arrays are narrowed to "is an array" and left to the caller.
 * `column` is a trusted column expression; paths and values are bound parameters.
 */
export function jsonContainsSql(column: string, path: string, filter: Json): JsonContainsSql {
  const out: JsonContainsSql = { conditions: [], exact: true };
  const type = `json_type(${column}, ?)`;
  const visit = (at: string, expected: Json) => {
    if (expected === null) {
      out.conditions.push({ sql: `${type} = 'null'`, params: [at] });
    } else if (typeof expected === "boolean") {
      out.conditions.push({ sql: `${type} = '${expected ? "true" : "false"}'`, params: [at] });
    } else if (typeof expected === "number") {
      out.conditions.push({ sql: `(${type} IN ('integer', 'real') AND json_extract(${column}, ?) = ?)`, params: [at, at, expected] });
    } else if (typeof expected === "string") {
      out.conditions.push({ sql: `(${type} = 'text' AND json_extract(${column}, ?) = ?)`, params: [at, at, expected] });
    } else if (Array.isArray(expected)) {
      out.conditions.push({ sql: `${type} = 'array'`, params: [at] });
      out.exact = false;
    } else {
      out.conditions.push({ sql: `${type} = 'object'`, params: [at] });
      // `$."key"`: a quoted label, so any key text (dots, quotes) is safe.
      for (const [key, sub] of Object.entries(expected)) visit(`${at}.${JSON.stringify(key)}`, sub);
    }
  };
  visit(path, filter);
  return out;
}
