// The figures measured on each server, in order. `feature` names a server capability the figure
// needs; a server without it gets "n/a". Budgets come from the profile (bench/lib/options.js).
import { measureIdleMemory, measureMemoryAfterRuns } from "./memory.js";
import { measureLatency } from "./latency.js";
import { measureThroughput } from "./throughput.js";
import { measureStreaming } from "./streaming.js";
import { measureWebhooks } from "./webhooks.js";
import { measureWebhookBacklog } from "./webhook-backlog.js";
import { measureCronLag } from "./cron-lag.js";
import { measureStoredScale } from "./stored-scale.js";
import { measureWakeup } from "./wakeup.js";

export const FIGURES = [
  // Idle first, before any traffic; then the fixed run count that "RSS after N runs" is about.
  { id: "memory_idle", title: "(7) memory at idle", run: measureIdleMemory, metrics: ["rss_idle"] },
  { id: "memory_after", title: "(7) memory after N runs", run: measureMemoryAfterRuns, metrics: ["rss_after"] },
  { id: "latency", title: "(1) runs.wait latency", run: measureLatency, metrics: ["wait_p50", "wait_p99"] },
  { id: "throughput", title: "(2) throughput", run: measureThroughput, metrics: ["throughput_c16", "throughput_c64"] },
  {
    id: "streaming",
    title: "(3) streaming",
    run: measureStreaming,
    metrics: ["stream_first_event", "stream_first_custom", "stream_events_per_s"],
  },
  {
    id: "webhooks",
    title: "(4) webhook latency",
    run: measureWebhooks,
    metrics: ["webhook_end_p50", "webhook_end_p99", "webhook_create_p50", "webhook_create_p99"],
  },
  {
    id: "webhook_backlog",
    title: "(5) webhook backlog throughput",
    feature: "webhookBacklog",
    run: measureWebhookBacklog,
    metrics: ["webhook_backlog_per_s", "webhook_backlog_503_first_per_s", "webhook_backlog_503_first_slowdown"],
  },
  {
    id: "cron_lag",
    title: "(5b) cron firing lag",
    feature: "crons",
    run: measureCronLag,
    metrics: ["cron_lag_p50", "cron_lag_p99"],
  },
  {
    id: "stored_scale",
    title: "(6) stored-data scale",
    feature: "storedScale",
    run: measureStoredScale,
    metrics: [
      "stored_search_empty",
      "stored_search_seeded",
      "stored_search_meta_empty",
      "stored_search_meta_seeded",
      "stored_runs_list_empty",
      "stored_runs_list_seeded",
      "stored_bytes_per_run",
    ],
  },
  {
    id: "wakeup",
    title: "(8) cross-process wake-up",
    feature: "crossProcess",
    run: measureWakeup,
    metrics: ["wakeup_p50", "wakeup_p99"],
  },
];
