import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Storage } from "../storage/storage.js";

/** What a scrape reads from the database: the same figures whichever process answers. */
export interface QueueFigures {
  storage: Pick<Storage, "runBrowser" | "runs">;
}

/** Seconds: from a millisecond-fast run to an hour-long one. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];
/** Seconds: delivery and cron lag, where anything past a few seconds is a problem. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The process's Prometheus metrics (`GET /metrics`). A registry of its own, not prom-client's
 * global one, so that several servers in one process (tests) keep their figures apart. Counters
 * count what this process did; the run and queue gauges are read from the database at scrape
 * time, so they describe the whole cluster.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly runsFinished: Counter<"status">;
  readonly runDuration: Histogram<"status">;
  /** How many runs execute here now (the queue role sets it; an API process has none). */
  private executing: () => number = () => 0;
  readonly leasesReclaimed: Counter;
  readonly webhookAttempts: Counter<"outcome">;
  readonly webhookDeliveryLatency: Histogram;
  readonly cronLag: Histogram;

  constructor(figures?: QueueFigures) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "hookgraph_" });
    this.runsFinished = new Counter({
      name: "hookgraph_runs_finished_total",
      help: "Runs whose end this process recorded, by end status",
      labelNames: ["status"],
      registers,
    });
    this.runDuration = new Histogram({
      name: "hookgraph_run_duration_seconds",
      help: "From a run's first start to its end, by end status",
      labelNames: ["status"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const metrics = this;
    new Gauge({
      name: "hookgraph_runs_executing",
      help: "Runs executing in this process now",
      registers,
      collect() {
        this.set(metrics.executing());
      },
    });
    this.leasesReclaimed = new Counter({
      name: "hookgraph_leases_reclaimed_total",
      help: "Runs taken back from processes whose lease expired (or, embedded, from the previous start)",
      registers,
    });
    this.webhookAttempts = new Counter({
      name: "hookgraph_webhook_attempts_total",
      help: "Webhook delivery attempts made by this process, by outcome",
      labelNames: ["outcome"],
      registers,
    });
    this.webhookDeliveryLatency = new Histogram({
      name: "hookgraph_webhook_delivery_latency_seconds",
      help: "From a run's end (its delivery written) to the receiver's 2xx",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.cronLag = new Histogram({
      name: "hookgraph_cron_lag_seconds",
      help: "From a cron's due time to its run being created",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    if (figures) this.registerQueueGauges(figures);
  }

  private registerQueueGauges({ storage }: QueueFigures): void {
    const registers = [this.registry];
    new Gauge({
      name: "hookgraph_runs",
      help: "Runs in the database, by status",
      labelNames: ["status"],
      registers,
      async collect() {
        const counts = await storage.runBrowser.countByStatus({});
        for (const [status, total] of Object.entries(counts)) this.set({ status }, total);
      },
    });
    let stats: Promise<{ due: number; oldestDueAt: Date | undefined }> | undefined;
    // Both gauges come from one query per scrape.
    const queue = () => (stats ??= storage.runs.queueStats(new Date()).finally(() => setImmediate(() => (stats = undefined))));
    new Gauge({
      name: "hookgraph_queue_depth",
      help: "Pending runs that are due (waiting for a worker)",
      registers,
      async collect() {
        this.set((await queue()).due);
      },
    });
    new Gauge({
      name: "hookgraph_queue_oldest_pending_age_seconds",
      help: "How long the oldest due pending run has waited (0 when none)",
      registers,
      async collect() {
        const { oldestDueAt } = await queue();
        this.set(oldestDueAt ? Math.max(0, (Date.now() - oldestDueAt.getTime()) / 1000) : 0);
      },
    });
  }

  countExecuting(count: () => number): void {
    this.executing = count;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
