import { createHash } from "node:crypto";
import pg from "pg";

/** A query text is prepared once it has been run this many times by this process. */
const PREPARE_AFTER = 2;
/** Distinct texts counted at most; the oldest are forgotten first (search queries vary with their filters). */
const COUNTED_TEXTS = 512;

const uses = new Map<string, number>();

/**
 * The name a parameterised query text is prepared under, or undefined while it is not worth it. A
 * text with more than one statement is never named (PostgreSQL prepares one statement only).
 */
function statementName(text: string): string | undefined {
  if (/;\s*\S/.test(text)) return undefined;
  const count = (uses.get(text) ?? 0) + 1;
  uses.delete(text);
  uses.set(text, count);
  if (uses.size > COUNTED_TEXTS) uses.delete(uses.keys().next().value!);
  return count >= PREPARE_AFTER ? `hg_${createHash("sha1").update(text).digest("base64url").slice(0, 20)}` : undefined;
}

/**
 * A pg client that runs the queries this process repeats as named prepared statements: PostgreSQL
 * then parses and plans each once per connection instead of at every call. Measured in the
 * PostgreSQL benchmark: the database's CPU per run fell from ~5.9 to ~3.4 ms. It applies to every
 * parameterised query on the pool, the official checkpointer's included; texts are counted, not
 * listed, so nothing has to name its statements.
 */
export class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [first, values] = args;
    if (typeof first === "string" && Array.isArray(values) && values.length > 0) {
      const name = statementName(first);
      if (name) args = [{ name, text: first, values }, ...args.slice(2)];
    }
    return (super.query as (...rest: unknown[]) => never)(...args);
  }
}
