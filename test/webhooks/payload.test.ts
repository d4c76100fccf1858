import { describe, expect, it } from "vitest";
import { buildWebhookPayload, WEBHOOK_PAYLOAD_FIELDS, type WebhookRunInput } from "../../src/webhooks/payload.js";

const run: WebhookRunInput = {
  run_id: "run-1",
  thread_id: "thread-1",
  assistant_id: "asst-1",
  created_at: "2026-03-01T12:00:00.000Z",
  updated_at: "2026-03-01T12:00:05.000Z",
  status: "success",
  metadata: { user: "u1" },
  kwargs: { input: { q: 1 }, webhook: "https://hooks.example.com/h?token=t" },
  multitask_strategy: "reject",
  run_started_at: "2026-03-01T12:00:01.000Z",
  run_ended_at: "2026-03-01T12:00:04.000Z",
  values: { answer: 42 },
};
const sentAt = "2026-03-01T12:00:06.000Z";

describe("buildWebhookPayload", () => {
  it("sends the run, timings and values, in the documented key order, without error on success", () => {
    const payload = buildWebhookPayload(run, { sentAt });
    expect(Object.keys(payload)).toEqual(WEBHOOK_PAYLOAD_FIELDS.filter((f) => f !== "error"));
    expect(payload).toMatchObject({ run_id: "run-1", status: "success", webhook_sent_at: sentAt, values: { answer: 42 } });
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
  });

  it("adds {error, message} for a failed run", () => {
    const payload = buildWebhookPayload({ ...run, status: "error", error: { error: "ValueError", message: "boom" } }, { sentAt });
    expect(payload.error).toEqual({ error: "ValueError", message: "boom" });
    expect(Object.keys(payload)).toHaveLength(14);
  });

  it("sends null values for a stateless run and stamps the current time by default", () => {
    const before = Date.now();
    const payload = buildWebhookPayload({ ...run, thread_id: null, values: undefined });
    expect(payload.values).toBeNull();
    expect(payload.thread_id).toBeNull();
    expect(Date.parse(payload.webhook_sent_at as string)).toBeGreaterThanOrEqual(before - 1);
  });

  it("trims to allowed_fields", () => {
    const failed = { ...run, status: "error", error: { error: "E", message: "m" } };
    expect(buildWebhookPayload(failed, { sentAt, allowedFields: ["status", "run_id"] })).toEqual({ run_id: "run-1", status: "error" });
    expect(buildWebhookPayload(run, { sentAt, allowedFields: ["run_id", "error"] })).toEqual({ run_id: "run-1" });
  });
});
