import type { FastifyBaseLogger } from "fastify";
import type { DeliveryRepository } from "../storage/storage.js";
import type { Delivery, DeliveryAttempt } from "../storage/types.js";
import { WakeTimer } from "../queue/wake-timer.js";
import type { WebhookSettings } from "./config.js";
import type { AttemptResult, WebhookSender } from "./sender.js";
import { nextAttemptDelayMs } from "./retry.js";
import { redactUrl } from "./redact.js";

export interface DeliveryWorkerOptions {
  deliveries: DeliveryRepository;
  sender: Pick<WebhookSender, "send">;
  settings: Pick<WebhookSettings, "retrySchedule" | "timeoutMs" | "maxInFlight" | "allowedFields">;
  logger: FastifyBaseLogger;
}

/**
 * Sends due deliveries from the outbox: claims them (with a lease), makes one attempt each, records
 * every attempt as a row, and schedules the next one or finishes the delivery. Wakes when a run
 * writes a delivery, when an attempt frees a slot, and at the next scheduled retry: no polling.
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly timer = new WakeTimer(() => this.wake());
  private pumping = false;
  private pumpAgain = false;
  private stopped = false;

  constructor(private readonly options: DeliveryWorkerOptions) {}

  /** One process owns the embedded database: leases left by a dead process are taken back at once. */
  async start(): Promise<void> {
    await this.options.deliveries.releaseAllLeases();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    queueMicrotask(() => void this.pump());
  }

  private get leaseMs(): number {
    // An attempt may wait for a per-origin slot before its own timeout starts.
    return this.options.settings.timeoutMs * 4 + 60_000;
  }

  private async pump(): Promise<void> {
    try {
      let now: Date;
      do {
        now = new Date();
        this.pumpAgain = false;
        const free = this.options.settings.maxInFlight - this.inFlight.size;
        if (free <= 0) break;
        const claimed = await this.options.deliveries.claimDue(free, now, new Date(now.getTime() + this.leaseMs));
        for (const delivery of claimed) this.launch(delivery);
        if (claimed.length === free) this.pumpAgain = true;
      } while (this.pumpAgain && !this.stopped);
      const next = await this.options.deliveries.nextDue();
      if (next && next > now) this.timer.at(next);
    } catch (error) {
      this.options.logger.error({ err: error }, "claiming webhook deliveries failed");
    } finally {
      this.pumping = false;
    }
  }

  private launch(delivery: Delivery): void {
    const done = this.attempt(delivery)
      .catch((error) => this.options.logger.error({ delivery_id: delivery.delivery_id, err: error }, "webhook attempt failed to record"))
      .finally(() => {
        this.inFlight.delete(delivery.delivery_id);
        this.wake();
      });
    this.inFlight.set(delivery.delivery_id, done);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const startedAt = new Date();
    const payload =
      this.options.settings.allowedFields && !this.options.settings.allowedFields.includes("webhook_sent_at")
        ? delivery.payload
        : { ...delivery.payload, webhook_sent_at: startedAt.toISOString() };
    const result = await this.options.sender.send({ url: delivery.url, messageId: delivery.delivery_id, body: JSON.stringify(payload) });
    const trigger = delivery.manual_requested ? "manual" : "automatic";
    const attempt: DeliveryAttempt = {
      attempt: delivery.attempt_count + 1,
      trigger,
      started_at: startedAt.toISOString(),
      duration_ms: result.durationMs,
      status_code: result.statusCode ?? null,
      error: describeFailure(result),
      response_excerpt: result.responseExcerpt ?? null,
    };
    const automaticAttempts = delivery.automatic_attempts + (trigger === "automatic" ? 1 : 0);
    const next = this.nextState(result, automaticAttempts);
    await this.options.deliveries.recordAttempt(delivery.delivery_id, attempt, next);
    this.options.logger.info(
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
      "webhook attempt",
    );
  }

  private nextState(
    result: AttemptResult,
    automaticAttempts: number,
  ): { status: "succeeded" | "failed" } | { status: "pending"; next_attempt_at: Date } {
    if (result.outcome === "succeeded") return { status: "succeeded" };
    if (result.outcome === "failed") return { status: "failed" };
    const delay = nextAttemptDelayMs(automaticAttempts, this.options.settings.retrySchedule, {
      retryAfterSeconds: result.retryAfterSeconds,
    });
    return delay === null ? { status: "failed" } : { status: "pending", next_attempt_at: new Date(Date.now() + delay) };
  }

  /** Stops claiming and waits for attempts in flight (each bounded by the attempt timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer.clear();
    await Promise.allSettled(this.inFlight.values());
  }
}

function describeFailure(result: AttemptResult): string | null {
  if (result.outcome === "succeeded") return null;
  if (result.location) return `${result.error ?? "redirect"}; redirect to ${result.location} not followed`;
  return result.error ?? null;
}
