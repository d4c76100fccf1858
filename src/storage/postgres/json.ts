import { invalid } from "../../errors.js";

/**
 * `\u0000`, or a `\uXXXX` in the surrogate range, in JSON text (and not an escaped backslash
 * followed by "u..."). JSON.stringify writes a surrogate as an escape only when it is unpaired: a
 * pair is written as the character itself.
 */
const UNSTORABLE_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;
const HAS_UNSTORABLE_ESCAPE = new RegExp(UNSTORABLE_ESCAPE.source);

/**
 * JSON text for a jsonb parameter. jsonb cannot hold the NUL character (U+0000) nor an unpaired
 * surrogate (half of a UTF-16 pair, not a character) in a string, so input carrying one is refused
 * with a 422 naming `field`, before anything is written.
 */
export function jsonParam(value: unknown, field: string): string {
  const text = JSON.stringify(value ?? null);
  if (HAS_UNSTORABLE_ESCAPE.test(text)) {
    throw invalid(`${field}: text may not contain the NUL character (\\u0000) or an unpaired surrogate`);
  }
  return text;
}

/**
 * JSON text for a jsonb parameter that must be written whatever it holds (a run's final values: a
 * graph's output is no client's error, and a run's end must not fail to be recorded). A NUL
 * character or an unpaired surrogate becomes U+FFFD, the replacement character.
 */
export function lenientJsonParam(value: unknown): string {
  return JSON.stringify(value ?? null).replace(UNSTORABLE_ESCAPE, "\\ufffd");
}

/** A timestamptz column as the API shows it (ISO 8601, milliseconds, UTC). */
export function iso(value: Date): string;
export function iso(value: Date | null): string | null;
export function iso(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}
