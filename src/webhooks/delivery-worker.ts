import type { FastifyBaseLogger } from "fastify";
import type { ClaimedDelivery, DeliveryRepository, FinishedAttempt } from "../storage/storage.js";
import type { DeliveryAttempt } from "../storage/types.js";
import { WakeTimer } from "../queue/wake-timer.js";
import { Backoff } from "../queue/backoff.js";
import type { WebhookSettings } from "./config.js";
import type { AttemptResult, WebhookSender } from "./sender.js";
import { nextAttemptDelayMs } from "./retry.js";
import { maskSecrets, redactUrl, requestSecrets } from "./redact.js";

export interface DeliveryWorkerOptions {
  deliveries: DeliveryRepository;
  sender: Pick<WebhookSender, "send">;
  settings: Pick<WebhookSettings, "retrySchedule" | "timeoutMs" | "maxInFlight" | "maxConcurrencyPerOrigin" | "allowedFields" | "headers">;
  logger: FastifyBaseLogger;
  /** This process, as leases name it. */
  owner: string;
  /**
   * The embedded database's start-up: every lease is a dead process's (one owner), so all are
   * released at once. With several processes, leases of the dead lapse on their own.
   */
  releaseAllLeasesAtStart: boolean;
  /** A claim round every so often even without a wake-up (wake-ups lost on the way); undefined: none. */
  safetyPollMs?: number;
  /** How long `stop()` lets attempts in flight finish before aborting them (default 1 s). */
  stopGraceMs?: number;
  /** Told of every attempt, for /metrics. */
  onAttempt?: (delivery: ClaimedDelivery, result: AttemptResult) => void;
}

/**
 * Sends due deliveries from the outbox: claims them (with a lease), makes one attempt each, records
 * every attempt as a row, and schedules the next one or finishes the delivery. Wakes when a run
 * writes a delivery, when an attempt ends, and at the next scheduled retry: no polling.
 *
 * - At most `maxConcurrencyPerOrigin` deliveries per receiver origin are claimed at once, so a
 *   slow receiver holds only its own slots and never delays the others.
 * - Attempts that ended are recorded by the next claim, in its transaction: a busy worker commits
 *   once per batch instead of twice per delivery. Until then the delivery stays leased, so a crash
 *   in between sends it again on restart (at-least-once).
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly busyOrigins = new Map<string, number>();
  private readonly finished: FinishedAttempt[] = [];
  private readonly timer = new WakeTimer(() => this.wake());
  private readonly shutdown = new AbortController();
  private readonly claimBackoff = new Backoff();
  private safetyPoll: NodeJS.Timeout | undefined;
  private pumping = false;
  private pumpAgain = false;
  /** Between start() and stop(): a wake before start() would claim deliveries that start() then releases. */
  private running = false;

  constructor(private readonly options: DeliveryWorkerOptions) {}

  async start(): Promise<void> {
    if (this.options.releaseAllLeasesAtStart) await this.options.deliveries.releaseLeases();
    this.running = true;
    if (this.options.safetyPollMs !== undefined) {
      this.safetyPoll = setInterval(() => this.wake(), this.options.safetyPollMs);
      this.safetyPoll.unref();
    }
    this.wake();
  }

  wake(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    // After the I/O phase: every attempt that ended in it is recorded by the same claim (one commit).
    setImmediate(() => void this.pump());
  }

  private get leaseMs(): number {
    // An attempt may wait for a per-origin slot before its own timeout starts.
    return this.options.settings.timeoutMs * 4 + 60_000;
  }

  private async pump(): Promise<void> {
    const { settings, deliveries } = this.options;
    let again = false;
    try {
      let now: Date;
      do {
        now = new Date();
        this.pumpAgain = false;
        const free = this.running ? settings.maxInFlight - this.inFlight.size : 0;
        if (free <= 0 && this.finished.length === 0) break;
        const claimed = await this.claim(free, now);
        for (const delivery of claimed) this.launch(delivery);
        if (free > 0 && claimed.length === free) this.pumpAgain = true;
      } while (this.pumpAgain);
      // Due deliveries left behind wait for a busy origin: its next completion wakes us.
      const next = await deliveries.nextDue(now);
      if (next && this.running) this.timer.at(next);
      this.claimBackoff.succeed();
      // A wake-up that came while nextDue was read (a run's delivery written, an attempt ended)
      // found the loop done: it would wait for the next timer or the safety poll.
      again = this.pumpAgain;
    } catch (error) {
      const delay = this.claimBackoff.fail();
      this.options.logger.error({ err: error, retry_in_ms: delay }, "claiming webhook deliveries failed; retrying");
      if (this.running || this.finished.length > 0) this.timer.at(new Date(Date.now() + delay));
    } finally {
      this.pumping = false;
    }
    if (again) this.wake();
  }

  /** Records the attempts that ended and claims up to `limit` deliveries, in one transaction. */
  private async claim(limit: number, now: Date): Promise<ClaimedDelivery[]> {
    const finished = this.finished.splice(0);
    try {
      return await this.options.deliveries.claimDue({
        finished,
        limit: Math.max(0, limit),
        now,
        lease: { owner: this.options.owner, leaseMs: this.leaseMs },
        perOrigin: this.options.settings.maxConcurrencyPerOrigin,
        busy: this.busyOrigins,
      });
    } catch (error) {
      // Recorded by the next claim; their leases hold until then, so no one sends them again meanwhile.
      this.finished.unshift(...finished);
      throw error;
    }
  }

  private launch(delivery: ClaimedDelivery): void {
    // Only an attempt outliving its lease could be claimed twice; it is still running, so skip it.
    if (this.inFlight.has(delivery.delivery_id)) return;
    const { origin } = delivery;
    this.busyOrigins.set(origin, (this.busyOrigins.get(origin) ?? 0) + 1);
    const done = this.attempt(delivery)
      .catch((error) => this.options.logger.error({ delivery_id: delivery.delivery_id, err: error }, "webhook attempt failed"))
      .finally(() => {
        this.inFlight.delete(delivery.delivery_id);
        const left = (this.busyOrigins.get(origin) ?? 1) - 1;
        if (left > 0) this.busyOrigins.set(origin, left);
        else this.busyOrigins.delete(origin);
        this.wake();
      });
    this.inFlight.set(delivery.delivery_id, done);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const { settings, logger } = this.options;
    const startedAt = new Date();
    const payload =
      settings.allowedFields && !settings.allowedFields.includes("webhook_sent_at")
        ? delivery.payload
        : { ...delivery.payload, webhook_sent_at: startedAt.toISOString() };
    const result = await this.options.sender.send({
      url: delivery.url,
      messageId: delivery.delivery_id,
      body: JSON.stringify(payload),
      signal: this.shutdown.signal,
    });
    // Cut short by a stop: not an attempt to count. The lease stays; the next start sends it at once.
    if (this.shutdown.signal.aborted && result.outcome !== "succeeded") return;
    const trigger = delivery.manual_requested ? "manual" : "automatic";
    const attempt: DeliveryAttempt = {
      attempt: delivery.attempt_count + 1,
      trigger,
      started_at: startedAt.toISOString(),
      duration_ms: result.durationMs,
      status_code: result.statusCode ?? null,
      ...this.shown(delivery.url, describeFailure(result), result.responseExcerpt),
    };
    const automaticAttempts = delivery.automatic_attempts + (trigger === "automatic" ? 1 : 0);
    const next = this.nextState(result, automaticAttempts);
    this.finished.push({ delivery_id: delivery.delivery_id, lease_id: delivery.lease_id, attempt, next });
    this.options.onAttempt?.(delivery, result);
    logger[next.status === "failed" ? "warn" : "info"](
      {
        delivery_id: delivery.delivery_id,
        run_id: delivery.run_id,
        url: redactUrl(delivery.url),
        attempt: attempt.attempt,
        trigger,
        status_code: attempt.status_code,
        error: attempt.error,
        duration_ms: attempt.duration_ms,
        next: next.status === "pending" ? next.next_attempt_at.toISOString() : next.status,
      },
      next.status === "failed" ? "webhook delivery failed" : "webhook attempt",
    );
  }

  /** The error and response excerpt as the delivery log keeps them: a receiver may echo the request's secrets back. */
  private shown(url: string, error: string | null, excerpt: string | undefined): Pick<DeliveryAttempt, "error" | "response_excerpt"> {
    if (error === null && !excerpt) return { error: null, response_excerpt: excerpt ?? null };
    const secrets = requestSecrets(url, Object.values(this.options.settings.headers));
    return {
      error: error === null ? null : maskSecrets(error, secrets),
      response_excerpt: excerpt === undefined ? null : maskSecrets(excerpt, secrets),
    };
  }

  private nextState(result: AttemptResult, automaticAttempts: number): FinishedAttempt["next"] {
    if (result.outcome === "succeeded") return { status: "succeeded" };
    if (result.outcome === "failed") return { status: "failed" };
    const delay = nextAttemptDelayMs(automaticAttempts, this.options.settings.retrySchedule, {
      retryAfterSeconds: result.retryAfterSeconds,
    });
    return delay === null ? { status: "failed" } : { status: "pending", next_attempt_at: new Date(Date.now() + delay) };
  }

  /**
   * Stops claiming; attempts in flight get a short grace, then are aborted. Attempts that ended
   * are recorded, and the leases of those cut short are released, so another process (or the
   * next start) sends them at once: at-least-once.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.timer.clear();
    if (this.safetyPoll) clearInterval(this.safetyPoll);
    const abort = setTimeout(() => this.shutdown.abort(), this.options.stopGraceMs ?? 1000);
    await Promise.allSettled(this.inFlight.values());
    clearTimeout(abort);
    while (this.pumping) await new Promise((resolve) => setImmediate(resolve));
    try {
      if (this.finished.length > 0) await this.claim(0, new Date());
      await this.options.deliveries.releaseLeases(this.options.owner);
    } catch (error) {
      this.options.logger.error({ err: error }, "recording webhook attempts failed; their leases lapse and they are sent again");
    }
  }
}

function describeFailure(result: AttemptResult): string | null {
  if (result.outcome === "succeeded") return null;
  if (result.location) return `${result.error ?? "redirect"}; redirect to ${result.location} not followed`;
  return result.error ?? null;
}
