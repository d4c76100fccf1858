import { randomUUID } from "node:crypto";
import type { RunOutbox } from "../queue/run-finisher.js";
import type { RunResult } from "../queue/executor.js";
import type { JsonObject } from "../storage/types.js";
import type { WebhookSettings } from "./config.js";
import { buildWebhookPayload } from "./payload.js";

/**
 * Decides, as a run ends, whether it owes a webhook, and builds the outbox row that the run's
 * finishing transaction writes. `webhook_sent_at` is stamped again on every attempt.
 */
export class WebhookOutbox implements RunOutbox {
  constructor(private readonly settings: Pick<WebhookSettings, "disabled" | "allowedFields">) {}

  deliveryFor(result: RunResult): { delivery_id: string; url: string; payload: JsonObject } | undefined {
    const url = result.run.kwargs.webhook;
    if (this.settings.disabled || typeof url !== "string") return undefined;
    const { run } = result;
    const payload = buildWebhookPayload(
      {
        run_id: run.run_id,
        thread_id: run.thread_id,
        assistant_id: run.assistant_id,
        created_at: run.created_at,
        updated_at: result.ended_at,
        status: result.status,
        metadata: run.metadata,
        kwargs: run.kwargs,
        multitask_strategy: run.multitask_strategy,
        run_started_at: result.started_at,
        run_ended_at: result.ended_at,
        values: result.status === "rollback" ? null : result.values,
        error: result.error ?? null,
      },
      { allowedFields: this.settings.allowedFields, sentAt: result.ended_at },
    );
    return { delivery_id: randomUUID(), url, payload: payload as JsonObject };
  }
}
