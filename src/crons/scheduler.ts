import type { FastifyBaseLogger } from "fastify";
import type { Cron, CronRepository } from "../storage/storage.js";
import { createRun, type RunServiceDeps } from "../runs/create-run.js";
import { WakeTimer } from "../queue/wake-timer.js";
import { cronRunBody } from "./service.js";
import { nextRunDate } from "./schedule.js";

export interface CronSchedulerOptions {
  crons: CronRepository;
  runService: RunServiceDeps;
  logger: FastifyBaseLogger;
  /** A round every so often even without a change signal (signals lost on the way); undefined: none. */
  safetyPollMs?: number;
  /** Told of every firing: how late after its due time its run was created. */
  onFired?: (lagMs: number) => void;
}

/** Due crons read per round; a full batch starts another round at once. */
const BATCH = 100;

/**
 * Fires due crons: one timer armed at the earliest next_run_date, re-armed whenever a cron is
 * written. Each firing is claimed by moving next_run_date on in one conditional UPDATE, then made an
 * ordinary run through createRun. A firing whose run cannot be created is logged and the cron keeps
 * its schedule. A crash between the claim and the run loses that one firing (at most once).
 */
export class CronScheduler {
  private readonly timer = new WakeTimer(() => this.wake());
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private safetyPoll: NodeJS.Timeout | undefined;
  constructor(private readonly options: CronSchedulerOptions) {}

  async start(): Promise<void> {
    // A cron written through any process re-arms the timer (the bus carries the change).
    this.unsubscribe = this.options.runService.signals.onCronsChanged(() => this.wake());
    if (this.options.safetyPollMs !== undefined) {
      this.safetyPoll = setInterval(() => this.wake(), this.options.safetyPollMs);
      this.safetyPoll.unref();
    }
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    this.again = true;
    // Not in the caller's stack: a write that wakes the scheduler returns before any cron is read.
    this.running ??= Promise.resolve().then(() => this.pump());
  }

  private async pump(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      try {
        await this.round();
      } catch (error) {
        this.options.logger.error({ err: error }, "cron scheduling round failed");
      }
    }
    this.running = undefined;
  }

  private async round(): Promise<void> {
    const now = new Date();
    const due = await this.options.crons.due(now, BATCH);
    if (due.length > 0) {
      // Side by side, and the worker woken once every due run is inserted: a run that starts
      // executing in between would delay the inserts still to come (graphs may run on this thread).
      try {
        await Promise.all(due.map((cron) => this.fire(cron, now)));
      } finally {
        this.options.runService.signals.wakeRuns();
      }
    }
    if (due.length === BATCH) {
      this.again = true;
      return;
    }
    const next = await this.options.crons.nextDue();
    if (next) this.timer.at(next);
  }

  private async fire(cron: Cron, now: Date): Promise<void> {
    const { logger, crons } = this.options;
    const scheduledAt = cron.next_run_date!;
    let next: string | null = null;
    try {
      next = nextRunDate(cron, now);
    } catch (error) {
      // Checked when written, so only a damaged row lands here: stop it rather than retry forever.
      logger.error({ cron_id: cron.cron_id, err: error }, "cron schedule unreadable; it will not fire again");
    }
    if (!(await crons.claim(cron.cron_id, scheduledAt, next))) return;
    try {
      // The round wakes the worker once, after every due run is inserted.
      const { run } = await createRun(this.options.runService, cron.thread_id ?? undefined, cronRunBody(cron, scheduledAt), { wake: false });
      const lagMs = Date.parse(run.created_at) - Date.parse(scheduledAt);
      this.options.onFired?.(lagMs);
      logger.debug({ cron_id: cron.cron_id, run_id: run.run_id, scheduled_at: scheduledAt, lag_ms: lagMs }, "cron fired");
    } catch (error) {
      const err = error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
      logger.warn({ cron_id: cron.cron_id, scheduled_at: scheduledAt, next_run_date: next, err }, "cron firing created no run");
    }
  }

  /** Stops firing; a round in progress finishes first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer.clear();
    if (this.safetyPoll) clearInterval(this.safetyPoll);
    this.unsubscribe?.();
    await this.running;
  }
}
