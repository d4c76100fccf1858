/**
 * The long-term memory store's rules, which both dialects apply the same way: what a namespace, a
 * key, a value and a TTL may be, and how a namespace becomes the text the tables keep. Namespaces
 * are kept as their labels joined with "." (labels may not contain "."), so a prefix search is a
 * range of that text in byte order.
 */
import { InvalidNamespaceError, type Item } from "@langchain/langgraph-checkpoint";

/** A filter, key, value or TTL the store cannot apply: a client error (422), like a bad namespace. */
export class StoreRequestError extends Error {
  override name = "StoreRequestError";
}

/**
 * The longest namespace (labels joined) and key, in UTF-8 bytes. PostgreSQL refuses a primary key
 * entry past ~2,700 bytes with an error of its own; both limits together stay well below it.
 */
const MAX_NAMESPACE_BYTES = 1024;
const MAX_KEY_BYTES = 1024;

/**
 * How deep a stored value or a filter operand may nest. SQLite's JSON functions refuse documents
 * nested deeper than 1,000 levels: a value past that would break every filtered search over it.
 */
const MAX_JSON_DEPTH = 500;

/** The longest TTL, in minutes (1,000 years, as the API's schema allows). */
const MAX_TTL_MINUTES = 525_600_000;

/**
 * Text PostgreSQL cannot keep: the NUL character (refused by text and jsonb) and half of a
 * surrogate pair (refused by jsonb, replaced in text). Both dialects refuse it, so that what a
 * graph stores on one is storable on the other.
 */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_RULE = "text may not contain the NUL character (\\u0000) or an unpaired surrogate";

export function validateStoreText(text: string, field: string): void {
  if (UNSTORABLE.test(text)) throw new StoreRequestError(`${field}: ${UNSTORABLE_RULE}`);
}

/**
 * Rejects labels the store cannot keep apart or cannot keep at all: non-strings, empty labels,
 * labels containing "." or unstorable text (see UNSTORABLE). Writes also refuse an empty namespace, the reserved root "langgraph" and a
 * namespace longer than MAX_NAMESPACE_BYTES.
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
    if (UNSTORABLE.test(label)) throw new InvalidNamespaceError(`Invalid namespace label: ${UNSTORABLE_RULE}.`);
  }
  if (!options.write) return;
  if (namespace[0] === "langgraph") throw new InvalidNamespaceError(`Root label for namespace cannot be "langgraph".`);
  if (Buffer.byteLength(namespace.join(".")) > MAX_NAMESPACE_BYTES) {
    throw new InvalidNamespaceError(`Namespace cannot be longer than ${MAX_NAMESPACE_BYTES} bytes (labels joined with '.').`);
  }
}

export function validateStoreKey(key: unknown, options: { write?: boolean } = {}): asserts key is string {
  if (typeof key !== "string") throw new StoreRequestError("key: must be a string");
  validateStoreText(key, "key");
  if (options.write && Buffer.byteLength(key) > MAX_KEY_BYTES) throw new StoreRequestError(`key: at most ${MAX_KEY_BYTES} bytes`);
}

function hasToJson(value: unknown): value is { toJSON(): unknown } {
  return typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function";
}

/**
 * Checks a JSON value before it reaches SQL: at most MAX_JSON_DEPTH levels, no unstorable text in
 * a string or an object key. Stops at the first level too deep, so a hostile value cannot exhaust
 * the stack. `field` names the value in the error.
 */
export function validateStoreJson(value: unknown, field: string): void {
  const visit = (value: unknown, depth: number): void => {
    // What toJSON answers (a Date's text, a message's fields) is what gets stored, as JSON.stringify does.
    const node = hasToJson(value) ? value.toJSON() : value;
    if (typeof node === "string") {
      validateStoreText(node, field);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    if (depth >= MAX_JSON_DEPTH) throw new StoreRequestError(`${field}: nested deeper than ${MAX_JSON_DEPTH} levels`);
    if (Array.isArray(node)) {
      for (const element of node) visit(element, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      validateStoreText(key, field);
      visit(child, depth + 1);
    }
  };
  visit(value, 0);
}

/** A put's value: a JSON object (see `validateStoreJson`). */
export function validateStoreValue(value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new StoreRequestError("value: must be an object");
  validateStoreJson(value, "value");
}

/** A put's TTL in minutes: null (never), or a positive finite number up to MAX_TTL_MINUTES. */
export function storeTtl(ttl: number | null | undefined): number | null {
  if (ttl === null || ttl === undefined) return null;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_TTL_MINUTES) {
    throw new StoreRequestError(`ttl: must be a positive number of minutes, at most ${MAX_TTL_MINUTES}`);
  }
  return ttl;
}

/** When an item written (or read, refreshing it) at `now` expires; ms since the epoch. */
export function expiresAt(now: number, ttlMinutes: number | null): number | null {
  return ttlMinutes === null ? null : now + ttlMinutes * 60_000;
}

/** A limit or offset as SQL can bind it: a whole number from 0 up, `fallback` when it is none. */
export function pageBound(value: number | undefined, fallback: number): number {
  if (value === undefined || Number.isNaN(value)) return fallback;
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(value)));
}

/** The text a namespace is kept as. */
export const namespaceText = (namespace: readonly string[]): string => namespace.join(".");

/**
 * The kept namespaces at or below `labels`: the namespace itself, or any text from `below` (its
 * text and ".") up to `above` (its text and "/", the character after "."), in byte order.
 */
export interface NamespaceRange {
  exact: string;
  below: string;
  above: string;
}

/** The range of `labels` and everything under it; null for no labels (every namespace). */
export function namespaceRange(labels: readonly string[]): NamespaceRange | null {
  if (labels.length === 0) return null;
  const exact = namespaceText(labels);
  return { exact, below: `${exact}.`, above: `${exact}/` };
}

export function storeItem(prefix: string, key: string, value: Record<string, unknown>, createdAt: Date, updatedAt: Date): Item {
  return { namespace: prefix.split("."), key, value, createdAt, updatedAt };
}
