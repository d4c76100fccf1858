/**
 * Forward-only migrations of the PostgreSQL database, applied in order at start-up under an
 * advisory lock (`database.ts`), so any number of processes may start at the same moment. A
 * migration, once released, is never edited: add a new one. The tables mirror the embedded
 * schema (`../sqlite/migrations.ts`) column for column; types are PostgreSQL's own (timestamptz,
 * jsonb, bigint identities). `schema.sql` beside this file is the resulting dump.
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
-- seq (in every table that has one): insertion order, the tie-breaker of sorts (SQLite's rowid).
CREATE TABLE assistants (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  assistant_id text PRIMARY KEY,
  graph_id text NOT NULL,
  name text NOT NULL,
  description text,
  config jsonb NOT NULL,
  context jsonb NOT NULL,
  metadata jsonb NOT NULL,
  version integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX assistants_graph ON assistants (graph_id);
CREATE INDEX assistants_created ON assistants (created_at);

CREATE TABLE assistant_versions (
  assistant_id text NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
  version integer NOT NULL,
  graph_id text NOT NULL,
  name text NOT NULL,
  description text,
  config jsonb NOT NULL,
  context jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (assistant_id, version)
);

CREATE TABLE threads (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  thread_id text PRIMARY KEY,
  status text NOT NULL,
  metadata jsonb NOT NULL,
  config jsonb NOT NULL,
  "values" jsonb,
  interrupts jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  expires_at timestamptz
);
CREATE INDEX threads_updated ON threads (updated_at);
CREATE INDEX threads_created ON threads (created_at);
CREATE INDEX threads_status_created ON threads (status, created_at);
CREATE INDEX threads_status_updated ON threads (status, updated_at);
CREATE INDEX threads_expires ON threads (expires_at) WHERE expires_at IS NOT NULL;
-- Metadata search: jsonb containment (@>) through a GIN index.
CREATE INDEX threads_metadata ON threads USING gin (metadata jsonb_path_ops);

CREATE TABLE runs (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL UNIQUE,
  thread_id text NOT NULL,
  assistant_id text NOT NULL,
  status text NOT NULL,
  metadata jsonb NOT NULL,
  kwargs jsonb NOT NULL,
  multitask_strategy text NOT NULL,
  stateless boolean NOT NULL,
  on_completion text,
  attempt integer NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL,
  started_at timestamptz,
  ended_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- The lease of a running run: lease_id is the claim's fencing token; it lapses at lease_expires_at.
  lease_owner text,
  lease_id text,
  lease_expires_at timestamptz,
  -- A cancel asked for while running, for the holder to act on.
  cancel_action text
);
CREATE INDEX runs_thread ON runs (thread_id, seq);
CREATE INDEX runs_pending ON runs (available_at, seq) WHERE status = 'pending';
CREATE INDEX runs_thread_pending ON runs (thread_id, seq) WHERE status = 'pending';
-- At most one running run per thread, across every process: the database's rule.
CREATE UNIQUE INDEX runs_one_running_per_thread ON runs (thread_id) WHERE status = 'running';
CREATE INDEX runs_lease_expiry ON runs (lease_expires_at) WHERE status = 'running';

-- The dashboard's counts, kept by a trigger instead of counted per poll. Each (assistant, status)
-- is split over 16 stripes, picked by the run's id: with one row, every run's status change in the
-- whole cluster queued on the same row lock (~70 % of the database's wait time at 4 processes).
-- A run's changes always touch its own stripe; readers sum the stripes.
CREATE TABLE run_counts (
  assistant_id text NOT NULL,
  status text NOT NULL,
  stripe smallint NOT NULL,
  total bigint NOT NULL,
  PRIMARY KEY (assistant_id, status, stripe)
);
CREATE FUNCTION runs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE run_counts SET total = total - 1
      WHERE assistant_id = OLD.assistant_id AND status = OLD.status AND stripe = abs(hashtext(OLD.run_id)) % 16;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO run_counts (assistant_id, status, stripe, total) VALUES (NEW.assistant_id, NEW.status, abs(hashtext(NEW.run_id)) % 16, 1)
      ON CONFLICT (assistant_id, status, stripe) DO UPDATE SET total = run_counts.total + 1;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER runs_counted_on_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION runs_count();
CREATE TRIGGER runs_counted_on_delete AFTER DELETE ON runs FOR EACH ROW EXECUTE FUNCTION runs_count();
CREATE TRIGGER runs_counted_on_update AFTER UPDATE OF status, assistant_id ON runs FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assistant_id IS DISTINCT FROM NEW.assistant_id)
  EXECUTE FUNCTION runs_count();

-- The webhook outbox: written in the same transaction as the run's final status. Leases live in
-- the rows (several processes send): lease_id fences the attempt's record.
CREATE TABLE webhook_deliveries (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id text NOT NULL UNIQUE,
  run_id text NOT NULL,
  thread_id text,
  url text NOT NULL,
  origin text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL,
  attempt_count integer NOT NULL DEFAULT 0,
  automatic_attempts integer NOT NULL DEFAULT 0,
  -- 0 none; 1 the next attempt is manual; 2 asked for during an attempt (another follows it at once).
  manual_requested smallint NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  lease_owner text,
  lease_id text,
  lease_expires_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- seq: a claim takes an origin's deliveries in (due, age) order straight off the index, however long its backlog.
CREATE INDEX webhook_deliveries_origin_due ON webhook_deliveries (origin, next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (origin) WHERE lease_id IS NOT NULL;
CREATE INDEX webhook_deliveries_run ON webhook_deliveries (run_id);
CREATE INDEX webhook_deliveries_thread ON webhook_deliveries (thread_id);

CREATE TABLE webhook_attempts (
  delivery_id text NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  trigger text NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  status_code integer,
  error text,
  response_excerpt text,
  PRIMARY KEY (delivery_id, attempt)
);

-- A cron goes with its assistant and, for a thread cron, its thread.
CREATE TABLE crons (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  cron_id text PRIMARY KEY,
  assistant_id text NOT NULL REFERENCES assistants (assistant_id) ON DELETE CASCADE,
  thread_id text REFERENCES threads (thread_id) ON DELETE CASCADE,
  schedule text NOT NULL,
  timezone text NOT NULL,
  end_time timestamptz,
  enabled boolean NOT NULL,
  on_run_completed text,
  payload jsonb NOT NULL,
  metadata jsonb NOT NULL,
  user_id text,
  next_run_date timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled;
CREATE INDEX crons_thread ON crons (thread_id);
CREATE INDEX crons_assistant ON crons (assistant_id);

-- The long-term memory store. Namespaces are their labels joined with "." (labels may not contain one).
-- Byte order ("C"), as SQLite's: the same sort on both dialects, and a namespace prefix search is
-- a range of the primary key.
CREATE TABLE store_items (
  prefix text COLLATE "C" NOT NULL,
  key text COLLATE "C" NOT NULL,
  value jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  expires_at timestamptz,
  ttl_minutes double precision,
  PRIMARY KEY (prefix, key)
);
CREATE INDEX store_items_expires_at ON store_items (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX store_items_updated_at ON store_items (updated_at);
`,
  },
];
