/**
 * Forward-only migrations of the embedded database, applied in order at start-up.
 * A migration, once released, is never edited: add a new one. `schema.sql` beside this file is the
 * resulting schema dump, refreshed by `npm run schema:dump`, so every schema change is a visible diff.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: "initial",
    sql: `
CREATE TABLE assistants (
  assistant_id TEXT PRIMARY KEY,
  graph_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  config TEXT NOT NULL,
  context TEXT NOT NULL,
  metadata TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX assistants_graph ON assistants (graph_id);
CREATE INDEX assistants_created ON assistants (created_at);

CREATE TABLE assistant_versions (
  assistant_id TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  graph_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  config TEXT NOT NULL,
  context TEXT NOT NULL,
  metadata TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (assistant_id, version)
);

CREATE TABLE threads (
  thread_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  metadata TEXT NOT NULL,
  config TEXT NOT NULL,
  "values" TEXT,
  interrupts TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT
);
CREATE INDEX threads_updated ON threads (updated_at);
CREATE INDEX threads_created ON threads (created_at);
CREATE INDEX threads_status_updated ON threads (status, updated_at);
CREATE INDEX threads_expires ON threads (expires_at) WHERE expires_at IS NOT NULL;

-- Top-level scalar metadata of threads, one row per key: lets a metadata search use an index
-- instead of scanning every thread's JSON.
CREATE TABLE thread_metadata (
  thread_id TEXT NOT NULL REFERENCES threads (thread_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (thread_id, key)
);
CREATE INDEX thread_metadata_lookup ON thread_metadata (key, value);

CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL UNIQUE,
  thread_id TEXT NOT NULL,
  assistant_id TEXT NOT NULL,
  status TEXT NOT NULL,
  metadata TEXT NOT NULL,
  kwargs TEXT NOT NULL,
  multitask_strategy TEXT NOT NULL,
  stateless INTEGER NOT NULL,
  on_completion TEXT,
  attempt INTEGER NOT NULL DEFAULT 0,
  available_at TEXT NOT NULL,
  started_at TEXT,
  ended_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX runs_thread ON runs (thread_id, seq);
CREATE INDEX runs_pending ON runs (available_at, seq) WHERE status = 'pending';
CREATE INDEX runs_running ON runs (thread_id) WHERE status = 'running';

-- The webhook outbox: written in the same transaction as the run's final status.
CREATE TABLE webhook_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL UNIQUE,
  run_id TEXT NOT NULL,
  thread_id TEXT,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  -- A manual redelivery was asked for: the next attempt is recorded as "manual".
  manual_requested INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  lease_expires_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_run ON webhook_deliveries (run_id);
CREATE INDEX webhook_deliveries_thread ON webhook_deliveries (thread_id);

CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  started_at TEXT NOT NULL,
  duration_ms REAL NOT NULL,
  status_code INTEGER,
  error TEXT,
  response_excerpt TEXT,
  PRIMARY KEY (delivery_id, attempt)
);

-- A cron goes with its assistant and, for a thread cron, its thread.
CREATE TABLE crons (
  cron_id TEXT PRIMARY KEY,
  assistant_id TEXT NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
  thread_id TEXT REFERENCES threads (thread_id) ON DELETE CASCADE,
  schedule TEXT NOT NULL,
  timezone TEXT NOT NULL,
  end_time TEXT,
  enabled INTEGER NOT NULL,
  on_run_completed TEXT,
  payload TEXT NOT NULL,
  metadata TEXT NOT NULL,
  user_id TEXT,
  next_run_date TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled = 1;
-- Foreign-key lookups: every thread or assistant delete checks for crons to cascade to.
CREATE INDEX crons_thread ON crons (thread_id);
CREATE INDEX crons_assistant ON crons (assistant_id);
`,
  },
  {
    id: 2,
    name: "webhook delivery claims by origin",
    // origin: a claim takes due deliveries origin by origin, skipping receivers already at their
    // concurrency limit, so a slow receiver never holds every delivery slot; the index makes each
    // origin one seek however long its backlog. automatic_attempts: kept on the row, so reading a
    // delivery needs no count over its attempts. Older rows get their url as origin (a bucket of
    // their own). Leases live in the owning process's memory (one process owns the database, and a
    // restart released them all anyway): a claim writes nothing.
    sql: `
ALTER TABLE webhook_deliveries DROP COLUMN lease_expires_at;
ALTER TABLE webhook_deliveries ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN automatic_attempts INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_deliveries SET origin = url,
  automatic_attempts = (SELECT count(*) FROM webhook_attempts a
                        WHERE a.delivery_id = webhook_deliveries.delivery_id AND a.trigger = 'automatic');
CREATE INDEX webhook_deliveries_origin_due ON webhook_deliveries (origin, next_attempt_at) WHERE status = 'pending';
`,
  },
  {
    id: 3,
    name: "indexes for status search and per-thread claims",
    // threads.search by status sorts by created_at by default: without this index every matching
    // thread is sorted. The claim checks "oldest pending run of this thread" for each candidate.
    sql: `
CREATE INDEX threads_status_created ON threads (status, created_at);
CREATE INDEX runs_thread_pending ON runs (thread_id, seq) WHERE status = 'pending';
`,
  },
  {
    id: 4,
    name: "run counts by assistant and status",
    // The dashboard shows runs per status every second; counting them in the runs table is a scan
    // (16 ms at 100,000 runs, on the thread that serves the API). Triggers keep the counts instead:
    // a few writes to one small table per run.
    sql: `
CREATE TABLE run_counts (
  assistant_id TEXT NOT NULL,
  status TEXT NOT NULL,
  total INTEGER NOT NULL,
  PRIMARY KEY (assistant_id, status)
) WITHOUT ROWID;
INSERT INTO run_counts (assistant_id, status, total) SELECT assistant_id, status, count(*) FROM runs GROUP BY assistant_id, status;
CREATE TRIGGER runs_counted_on_insert AFTER INSERT ON runs BEGIN
  INSERT INTO run_counts (assistant_id, status, total) VALUES (NEW.assistant_id, NEW.status, 1)
    ON CONFLICT (assistant_id, status) DO UPDATE SET total = total + 1;
END;
CREATE TRIGGER runs_counted_on_delete AFTER DELETE ON runs BEGIN
  UPDATE run_counts SET total = total - 1 WHERE assistant_id = OLD.assistant_id AND status = OLD.status;
END;
CREATE TRIGGER runs_counted_on_update AFTER UPDATE OF status, assistant_id ON runs
  WHEN OLD.status IS NOT NEW.status OR OLD.assistant_id IS NOT NEW.assistant_id
BEGIN
  UPDATE run_counts SET total = total - 1 WHERE assistant_id = OLD.assistant_id AND status = OLD.status;
  INSERT INTO run_counts (assistant_id, status, total) VALUES (NEW.assistant_id, NEW.status, 1)
    ON CONFLICT (assistant_id, status) DO UPDATE SET total = total + 1;
END;
`,
  },
  {
    id: 5,
    name: "run leases",
    // A claimed run is leased: lease_id is the claim's fencing token (a finish or heartbeat under an
    // older one writes nothing), lease_expires_at (ms since the epoch) when it lapses unless renewed.
    // cancel_action records a cancel for the holder to act on. The unique index makes "at most one
    // running run per thread" the database's rule, not only the claim query's.
    sql: `
ALTER TABLE runs ADD COLUMN lease_owner TEXT;
ALTER TABLE runs ADD COLUMN lease_id TEXT;
ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
ALTER TABLE runs ADD COLUMN cancel_action TEXT;
DROP INDEX runs_running;
CREATE UNIQUE INDEX runs_one_running_per_thread ON runs (thread_id) WHERE status = 'running';
CREATE INDEX runs_lease_expiry ON runs (lease_expires_at) WHERE status = 'running';
`,
  },
  {
    id: 6,
    name: "the store's tables belong to storage",
    // Created by the runtime until now (IF NOT EXISTS keeps databases that already have them).
    sql: `
CREATE TABLE IF NOT EXISTS store_items (
  prefix TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER,
  ttl_minutes REAL,
  PRIMARY KEY (prefix, key)
);
CREATE INDEX IF NOT EXISTS store_items_expires_at ON store_items (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS store_items_updated_at ON store_items (updated_at);
`,
  },
];
