import type { Json, JsonObject } from "../types.js";

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function parseJson<T = Json>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

/** `$."key"`: a JSON path for one top-level key, quoted so any key text is safe. */
export function jsonPathForKey(key: string): string {
  return `$.${JSON.stringify(key)}`;
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
