import { randomUUID } from "node:crypto";
import type { Cron } from "../storage/storage.js";
import type { JsonObject } from "../storage/types.js";
import { resolveAssistant, type RunBody, type RunServiceDeps } from "../runs/create-run.js";
import { notFound } from "../errors.js";
import { checkEndTime, checkSchedule, checkTimezone, nextRunDate, type CronTiming } from "./schedule.js";

/** The run fields a cron keeps in its payload and creates every firing's run with. */
const RUN_FIELDS = [
  "input",
  "config",
  "context",
  "webhook",
  "interrupt_before",
  "interrupt_after",
  "multitask_strategy",
  "stream_mode",
  "stream_subgraphs",
  "stream_resumable",
  "checkpoint_during",
  "durability",
] as const;

type RunFields = Pick<RunBody, (typeof RUN_FIELDS)[number]>;

export interface CronCreateBody extends RunFields {
  assistant_id: string;
  schedule: string;
  timezone?: string;
  end_time?: string;
  enabled?: boolean;
  on_run_completed?: "delete" | "keep";
  metadata?: JsonObject;
}

export interface CronPatchBody extends Omit<RunFields, "webhook"> {
  schedule?: string;
  timezone?: string;
  /** null clears it. */
  end_time?: string | null;
  enabled?: boolean;
  on_run_completed?: "delete" | "keep";
  metadata?: JsonObject;
  /** null removes it. */
  webhook?: string | null;
}

/** The run fields given in a body (undefined ones left out). */
function runFields(body: Partial<Record<(typeof RUN_FIELDS)[number], unknown>>): JsonObject {
  const fields: JsonObject = {};
  for (const key of RUN_FIELDS) if (body[key] !== undefined) fields[key] = body[key] as JsonObject[string];
  return fields;
}

const isoOrNull = (value: string | null | undefined) => (value == null ? null : new Date(value).toISOString());

/**
 * Creates a cron: `threadId` undefined makes a stateless one (each firing on a new thread). Checks
 * the schedule, timezone, end_time and webhook URL (422 naming the field), resolves the assistant.
 */
export async function createCron(deps: RunServiceDeps, threadId: string | undefined, body: CronCreateBody): Promise<Cron> {
  const now = new Date();
  const timing: CronTiming = {
    schedule: body.schedule,
    timezone: body.timezone ?? "UTC",
    end_time: isoOrNull(body.end_time),
    enabled: body.enabled ?? true,
  };
  checkTimezone(timing.timezone);
  checkSchedule(timing.schedule, timing.timezone, now);
  checkEndTime(timing.end_time, now);
  if (body.webhook !== undefined) deps.checkWebhookUrl(body.webhook);
  const assistant = await resolveAssistant(deps.storage, body.assistant_id);
  const payload = runFields(body);
  // A busy thread is handled as a run's would be: queued by default.
  if (threadId !== undefined) payload.multitask_strategy ??= "enqueue";
  return deps.storage.crons.create({
    cron_id: randomUUID(),
    assistant_id: assistant.assistant_id,
    thread_id: threadId ?? null,
    on_run_completed: threadId === undefined ? (body.on_run_completed ?? "delete") : null,
    ...timing,
    payload,
    metadata: body.metadata ?? {},
    next_run_date: nextRunDate(timing, now),
  });
}

/**
 * Changes the given fields; payload fields replace, metadata merges key by key. next_run_date is
 * computed again (from now) only when the timing changed, so an unrelated edit never skips or
 * repeats a firing.
 */
export async function patchCron(deps: RunServiceDeps, cronId: string, body: CronPatchBody): Promise<Cron> {
  const current = await deps.storage.crons.get(cronId);
  if (!current) throw notFound("cron", cronId);
  const now = new Date();
  const timing: CronTiming = {
    schedule: body.schedule ?? current.schedule,
    timezone: body.timezone ?? current.timezone,
    end_time: body.end_time === undefined ? current.end_time : isoOrNull(body.end_time),
    enabled: body.enabled ?? current.enabled,
  };
  if (body.timezone !== undefined) checkTimezone(timing.timezone);
  checkSchedule(timing.schedule, timing.timezone, now);
  if (body.end_time !== undefined) checkEndTime(timing.end_time, now);
  if (typeof body.webhook === "string") deps.checkWebhookUrl(body.webhook);
  const timingChanged = (Object.keys(timing) as (keyof CronTiming)[]).some((key) => timing[key] !== current[key]);
  const payload = { ...current.payload, ...runFields(body) };
  if (body.webhook === null) delete payload.webhook;
  return deps.storage.crons.update(cronId, {
    ...timing,
    // Only stateless crons own the threads they run on.
    on_run_completed: current.thread_id === null ? (body.on_run_completed ?? current.on_run_completed) : null,
    payload,
    metadata: body.metadata === undefined ? current.metadata : { ...current.metadata, ...body.metadata },
    // Left out when the timing is unchanged: the scheduler may have moved it on since it was read.
    ...(timingChanged ? { next_run_date: nextRunDate(timing, now) } : {}),
  });
}

/**
 * The run one firing creates: the cron's payload, assistant and metadata, plus `cron_id` and
 * `cron_scheduled_at` in the run's metadata (and so in its webhook), from which the firing lag
 * (scheduled time → run `created_at`) can be read.
 */
export function cronRunBody(cron: Cron, scheduledAt: string): RunBody {
  return {
    ...(cron.payload as RunFields),
    assistant_id: cron.assistant_id,
    metadata: { ...cron.metadata, cron_id: cron.cron_id, cron_scheduled_at: scheduledAt },
    on_completion: cron.on_run_completed ?? undefined,
  };
}
