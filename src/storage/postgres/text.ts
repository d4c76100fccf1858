import { invalid } from "../../errors.js";

/**
 * A text parameter from a client. PostgreSQL text cannot hold the NUL character (U+0000): the
 * driver's error would be a 500, so it is refused with a 422 naming `field`, before anything is
 * written. A lookup by such a value could match nothing anyway.
 */
export function textParam<T extends string | null | undefined>(value: T, field: string): T {
  if (typeof value === "string" && value.includes("\u0000")) throw invalid(`${field}: text may not contain the NUL character (\\u0000)`);
  return value;
}
