/** The 14 top-level keys of a webhook payload, in the order they are sent. */
export const WEBHOOK_PAYLOAD_FIELDS = [
  "run_id",
  "thread_id",
  "assistant_id",
  "created_at",
  "updated_at",
  "status",
  "metadata",
  "kwargs",
  "multitask_strategy",
  "run_started_at",
  "run_ended_at",
  "webhook_sent_at",
  "values",
  "error",
] as const;

export type WebhookPayloadField = (typeof WEBHOOK_PAYLOAD_FIELDS)[number];

export function isWebhookPayloadField(name: string): name is WebhookPayloadField {
  return (WEBHOOK_PAYLOAD_FIELDS as readonly string[]).includes(name);
}

/** What the payload needs from a finished run. Dates are ISO 8601 strings. */
export interface WebhookRunInput {
  run_id: string;
  thread_id: string | null;
  assistant_id: string;
  created_at: string;
  updated_at: string;
  status: string;
  metadata: Record<string, unknown>;
  kwargs: Record<string, unknown>;
  multitask_strategy: string | null;
  run_started_at: string | null;
  run_ended_at: string | null;
  /** Final state values; null for stateless runs. */
  values: unknown;
  /** Set only when the run failed. */
  error?: { error: string; message: string } | null;
}

export interface WebhookPayloadOptions {
  /** ISO time stamped into `webhook_sent_at`; defaults to now. */
  sentAt?: string;
  /** `webhooks.allowed_fields`; null or absent sends every field. */
  allowedFields?: readonly WebhookPayloadField[] | null;
}

export type WebhookPayload = Partial<Record<WebhookPayloadField, unknown>>;

export function buildWebhookPayload(run: WebhookRunInput, opts: WebhookPayloadOptions = {}): WebhookPayload {
  const full: WebhookPayload = {
    run_id: run.run_id,
    thread_id: run.thread_id,
    assistant_id: run.assistant_id,
    created_at: run.created_at,
    updated_at: run.updated_at,
    status: run.status,
    metadata: run.metadata,
    kwargs: run.kwargs,
    multitask_strategy: run.multitask_strategy,
    run_started_at: run.run_started_at,
    run_ended_at: run.run_ended_at,
    webhook_sent_at: opts.sentAt ?? new Date().toISOString(),
    values: run.values ?? null,
  };
  if (run.error) full.error = { error: run.error.error, message: run.error.message };
  const allowed = opts.allowedFields;
  if (!allowed) return full;
  const trimmed: WebhookPayload = {};
  for (const field of WEBHOOK_PAYLOAD_FIELDS) {
    if (allowed.includes(field) && field in full) trimmed[field] = full[field];
  }
  return trimmed;
}
