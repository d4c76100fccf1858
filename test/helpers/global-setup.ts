import pg from "pg";
import { POSTGRES_ADMIN_URI } from "./postgres.js";

/** Whether a process of this machine with that pid still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Drops test databases left by test processes that died before their cleanup (a killed run):
 * their names carry the creating process's pid (test/helpers/postgres.ts), so databases of test
 * runs still going on beside this one are kept.
 */
export default async function dropOrphanedTestDatabases(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URI });
  try {
    await client.connect();
  } catch {
    return; // No PostgreSQL: the tests that need it say so themselves.
  }
  try {
    const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'hookgraph_test_%'");
    for (const { datname } of rows) {
      const pid = Number(/^hookgraph_test_(\d+)_/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && !alive(pid)) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
