import type { FastifyBaseLogger } from "fastify";
import type { LeaseRequest, Reclaimed, Storage } from "../storage/storage.js";
import type { RunFinisher } from "./run-finisher.js";

/** Runs taken back from dead holders are tried this many times in all, then end as errors. */
export const MAX_ATTEMPTS = 3;

export interface LeaseSweeperOptions {
  storage: Storage;
  finisher: RunFinisher;
  logger: FastifyBaseLogger;
  lease: LeaseRequest;
  /** Between sweeps (default half the lease). */
  intervalMs?: number;
  /** Told when runs went back to the queue (wake the workers). */
  onRequeued: () => void;
  /** Counts what each sweep took back, for /metrics. */
  onReclaimed?: (count: number) => void;
}

/**
 * Takes back the runs of processes that died (SIGKILL, power loss) or stopped renewing (paused,
 * partitioned): once their lease expires, a run goes back to the queue, or ends as an error after
 * `MAX_ATTEMPTS`. Every queue process sweeps; the database makes each run taken back once. The
 * embedded mode sweeps every running run once at start (`sweepAll`): its single owner is known dead.
 */
export class LeaseSweeper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: LeaseSweeperOptions) {}

  start(): void {
    const interval = this.options.intervalMs ?? Math.max(100, Math.floor(this.options.lease.leaseMs / 2));
    this.timer = setInterval(() => void this.sweep("expired"), interval);
    this.timer.unref();
  }

  /** Start-up of the embedded database: every run left running is its dead owner's. */
  sweepAll(): Promise<void> {
    return this.sweep("all");
  }

  private sweep(scope: "expired" | "all"): Promise<void> {
    this.sweeping ??= this.reclaim(scope).finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async reclaim(scope: "expired" | "all"): Promise<void> {
    const { storage, logger, lease } = this.options;
    let reclaimed: Reclaimed;
    try {
      reclaimed = await storage.runs.reclaim({ scope, maxAttempts: MAX_ATTEMPTS, lease });
    } catch (error) {
      logger.error({ err: error }, "taking back runs with expired leases failed");
      return;
    }
    // Each exhausted run is leased to this sweep: its end is written while that lease holds.
    const holdsUntil = Date.now() + lease.leaseMs;
    const { requeued, exhausted } = reclaimed;
    if (requeued + exhausted.length > 0) logger.warn({ requeued, exhausted: exhausted.length, scope }, "took back runs whose process is gone");
    for (const run of exhausted) {
      const message = `run was interrupted ${run.attempt} times (its process stopped or lost its lease); giving up`;
      const ending = { status: "error" as const, values: null, error: { error: "RunAttemptsExhausted", message } };
      await this.options.finisher.finish(run, ending, "error", () => Date.now() < holdsUntil);
    }
    this.options.onReclaimed?.(requeued + exhausted.length);
    if (requeued > 0) this.options.onRequeued();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }
}
