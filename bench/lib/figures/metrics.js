// Every figure the report can show, in table order. `better` tells how to read the ratio.
export const METRICS = {
  floor_plain_p50: { label: "floor: in-process invoke p50, no checkpointer", unit: "ms", better: "lower" },
  floor_sqlite_p50: { label: "floor: in-process invoke p50, SQLite saver", unit: "ms", better: "lower" },
  floor_sqlite_exit_p50: { label: "floor: in-process invoke p50, SQLite saver, durability exit", unit: "ms", better: "lower" },
  wait_p50: { label: "(1) runs.wait latency p50, c=1", unit: "ms", better: "lower" },
  wait_p99: { label: "(1) runs.wait latency p99, c=1", unit: "ms", better: "lower" },
  overhead_plain: { label: "    overhead above floor (no checkpointer)", unit: "ms", better: "lower" },
  overhead_sqlite: { label: "    overhead above floor (SQLite saver, at exit)", unit: "ms", better: "lower" },
  throughput_c16: { label: "(2) throughput, c=16", unit: "runs/s", better: "higher" },
  throughput_c64: { label: "(2) throughput, c=64", unit: "runs/s", better: "higher" },
  stream_first_event: { label: "(3) stream: time to first SSE event p50", unit: "ms", better: "lower" },
  stream_first_custom: { label: "(3) stream: time to first custom event p50", unit: "ms", better: "lower" },
  stream_events_per_s: { label: "(3) stream: custom events/s p50", unit: "events/s", better: "higher" },
  webhook_end_p50: { label: "(4) webhook: run_ended_at → received p50", unit: "ms", better: "lower" },
  webhook_end_p99: { label: "(4) webhook: run_ended_at → received p99", unit: "ms", better: "lower" },
  webhook_create_p50: { label: "(4) webhook: run created → received p50", unit: "ms", better: "lower" },
  webhook_create_p99: { label: "(4) webhook: run created → received p99", unit: "ms", better: "lower" },
  webhook_backlog_per_s: { label: "(5) webhook backlog drain, all answered 200", unit: "deliveries/s", better: "higher" },
  webhook_backlog_503_first_per_s: { label: "(5) webhook backlog, half 503: first attempts", unit: "attempts/s", better: "higher" },
  webhook_backlog_503_first_slowdown: {
    label: "(5) webhook backlog, half 503: first-attempt drain time ÷ all-200 drain time",
    unit: "×",
    better: "lower",
  },
  cron_lag_p50: { label: "(5b) cron firing lag p50 (due second → run created)", unit: "ms", better: "lower" },
  cron_lag_p99: { label: "(5b) cron firing lag p99", unit: "ms", better: "lower" },
  stored_search_empty: { label: "(6) threads.search (updated_at, limit 10) p50: empty db", unit: "ms", better: "lower" },
  stored_search_seeded: { label: "(6) threads.search (updated_at, limit 10) p50: seeded", unit: "ms", better: "lower" },
  stored_search_meta_empty: { label: "(6) threads.search by metadata.user p50: empty db", unit: "ms", better: "lower" },
  stored_search_meta_seeded: { label: "(6) threads.search by metadata.user p50: seeded", unit: "ms", better: "lower" },
  stored_runs_list_empty: { label: "(6) runs.list of one thread p50: empty db", unit: "ms", better: "lower" },
  stored_runs_list_seeded: { label: "(6) runs.list of one thread p50: seeded", unit: "ms", better: "lower" },
  stored_bytes_per_run: { label: "(6) SQLite file size per seeded run (with its thread)", unit: "bytes", better: "lower" },
  rss_idle: { label: "(7) server RSS at idle", unit: "MiB", better: "lower" },
  rss_after: { label: "(7) server RSS after N runs", unit: "MiB", better: "lower" },
  wakeup_p50: { label: "(8) cross-process wake-up p50 (create answered on A → claim begun on B)", unit: "ms", better: "lower" },
  wakeup_p99: { label: "(8) cross-process wake-up p99", unit: "ms", better: "lower" },
};

/** A measured value; `n` marks figures only comparable at equal counts (RSS after N runs). */
export function metric(id, value, extra = {}) {
  if (!(id in METRICS)) throw new Error(`unknown metric ${id}`);
  return { id, value, ...extra };
}
