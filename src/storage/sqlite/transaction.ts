import type Database from "better-sqlite3";

const runners = new WeakMap<Database.Database, (body: () => unknown) => unknown>();

/**
 * Runs `body` in a transaction (a savepoint when one is open) and returns its result; rolls back
 * when it throws. Same as `db.transaction(body)()`, which builds a new transaction function with
 * its five variants on every call: 8-14 µs here against ~1 µs for this cached one, paid three to
 * four times per run.
 */
export function transaction<T>(db: Database.Database, body: () => T): T {
  let run = runners.get(db);
  if (!run) {
    run = db.transaction((inner: () => unknown) => inner());
    runners.set(db, run);
  }
  return run(body) as T;
}
