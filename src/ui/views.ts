import type { ServerContext } from "../http/context.js";
import { notFound } from "../errors.js";
import type { BrowsedRun, DeliveryRecord, RunBrowse } from "../storage/storage.js";
import type { Assistant, DeliveryAttempt, DeliveryStatus, Json, QueuedRun, RunStatus } from "../storage/types.js";
import type { KeptEvents } from "../bus/bus.js";

/** What the dashboard shows; every webhook URL in it is redacted. */
export interface Overview {
  counts: { runs: Record<RunStatus, number>; deliveries: Record<DeliveryStatus | "retrying", number> };
  /** Runs matching the filters (not only the ones listed). */
  total: number;
  runs: RunRow[];
  /** Older runs match the filters beyond the ones listed (page on with `before` = the last one). */
  older: boolean;
  failing: FailingRow[];
  assistants: { assistant_id: string; name: string; graph_id: string }[];
}

interface RunRow {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  delivery: BrowsedRun["delivery"];
}

interface FailingRow {
  delivery_id: string;
  run_id: string;
  url: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: string | null;
  last_attempt: { started_at: string; status_code: number | null; error: string | null };
}

export interface DeliveryView {
  delivery_id: string;
  url: string;
  status: DeliveryStatus;
  /** The latest attempt did not succeed. */
  failing: boolean;
  attempt_count: number;
  next_attempt_at: string | null;
  created_at: string;
  attempts: DeliveryAttempt[];
}

export interface RunDetail {
  /** The run without its kwargs: the page shows input and webhook only, so nothing else (config, headers) leaves. */
  run: Omit<QueuedRun, "kwargs" | "on_completion"> & { webhook: string | null };
  assistant: { name: string; graph_id: string } | null;
  input: Json;
  command: Json;
  /** The state after the run's last step; null while it runs or when nothing kept it. */
  values: { source: "checkpoint" | "webhook payload"; values: Json } | null;
  /** Why the run failed, from its stream's `error` event or its webhook payload. */
  error: Json;
  events: KeptEvents;
  /** Failing ones first, then newest first. */
  deliveries: DeliveryView[];
}

const FAILING_SHOWN = 20;
const EVENTS_SHOWN = 500;
const DELIVERIES_SHOWN = 50;

export async function overview(ctx: ServerContext, filters: RunBrowse & { limit: number; before?: string }): Promise<Overview> {
  const { storage } = ctx;
  const [counts, runs, failing, deliveries, assistants] = await Promise.all([
    storage.runBrowser.countByStatus({ assistant_id: filters.assistant_id, thread_id: filters.thread_id }),
    // One more than shown: whether there is an older page.
    storage.runBrowser.list({ ...filters, limit: filters.limit + 1, offset: 0 }),
    storage.runBrowser.failingDeliveries(FAILING_SHOWN),
    storage.runBrowser.deliveryCounts(),
    storage.assistants.search({ limit: 200, offset: 0, sort_by: "name", sort_order: "asc" }),
  ]);
  const total = filters.status ? counts[filters.status] : Object.values(counts).reduce((sum, n) => sum + n, 0);
  return {
    counts: { runs: counts, deliveries },
    total,
    older: runs.length > filters.limit,
    runs: runs.slice(0, filters.limit).map((run) => ({
      run_id: run.run_id,
      thread_id: run.thread_id,
      assistant_id: run.assistant_id,
      status: run.status,
      created_at: run.created_at,
      started_at: run.started_at,
      ended_at: run.ended_at,
      delivery: run.delivery,
    })),
    failing: failing.map((delivery) => ({
      delivery_id: delivery.delivery_id,
      run_id: delivery.run_id,
      url: ctx.redactUrl(delivery.url),
      status: delivery.status,
      attempt_count: delivery.attempt_count,
      next_attempt_at: delivery.next_attempt_at,
      last_attempt: {
        started_at: delivery.last_attempt.started_at,
        status_code: delivery.last_attempt.status_code,
        error: delivery.last_attempt.error,
      },
    })),
    assistants: assistants.map(({ assistant_id, name, graph_id }) => ({ assistant_id, name, graph_id })),
  };
}

function deliveryView(ctx: ServerContext, delivery: DeliveryRecord): DeliveryView {
  const last = delivery.attempts.at(-1);
  return {
    delivery_id: delivery.delivery_id,
    url: ctx.redactUrl(delivery.url),
    status: delivery.status,
    failing: delivery.status === "failed" || (last !== undefined && last.error !== null),
    attempt_count: delivery.attempt_count,
    next_attempt_at: delivery.status === "pending" ? delivery.next_attempt_at : null,
    created_at: delivery.created_at,
    attempts: delivery.attempts,
  };
}

/** The run's values at its last checkpoint, else those its webhook payload carried. */
async function finalValues(
  ctx: ServerContext,
  run: QueuedRun,
  assistant: Assistant | undefined,
  deliveries: DeliveryRecord[],
): Promise<RunDetail["values"]> {
  if (run.status === "pending" || run.status === "running") return null;
  const graphId = assistant?.graph_id ?? (await ctx.storage.threads.get(run.thread_id))?.metadata.graph_id;
  if (typeof graphId === "string" && ctx.graphs.has(graphId)) {
    try {
      const [last] = await ctx.states.history(run.thread_id, graphId, { limit: 1, metadata: { run_id: run.run_id } });
      if (last) return { source: "checkpoint", values: last.values ?? null };
    } catch {
      // The thread is gone (stateless run) or its graph no longer loads: fall back to the payload.
    }
  }
  const sent = deliveries.find((delivery) => "values" in delivery.payload);
  return sent ? { source: "webhook payload", values: sent.payload.values } : null;
}

function runError(events: KeptEvents, deliveries: DeliveryRecord[]): Json {
  const event = [...events.items].reverse().find((item) => item.event === "error");
  if (event) return JSON.parse(event.data) as Json;
  return deliveries.find((delivery) => delivery.payload.error)?.payload.error ?? null;
}

export async function runDetail(ctx: ServerContext, runId: string): Promise<RunDetail> {
  const run = await ctx.storage.runs.get(runId);
  if (!run) throw notFound("run", runId);
  const [assistant, summaries, events] = await Promise.all([
    ctx.storage.assistants.get(run.assistant_id),
    ctx.storage.deliveries.list({ run_id: runId, limit: DELIVERIES_SHOWN, offset: 0 }),
    ctx.streams.kept(runId, EVENTS_SHOWN),
  ]);
  const records = (await Promise.all(summaries.map((summary) => ctx.storage.deliveries.get(summary.delivery_id)))).filter(
    (record): record is DeliveryRecord => record !== undefined,
  );
  const deliveries = records.map((record) => deliveryView(ctx, record));
  // Stable sort: the list is already newest first.
  deliveries.sort((a, b) => Number(b.failing) - Number(a.failing));
  return {
    run: {
      run_id: run.run_id,
      thread_id: run.thread_id,
      assistant_id: run.assistant_id,
      status: run.status,
      metadata: run.metadata,
      multitask_strategy: run.multitask_strategy,
      created_at: run.created_at,
      updated_at: run.updated_at,
      started_at: run.started_at,
      ended_at: run.ended_at,
      attempt: run.attempt,
      stateless: run.stateless,
      webhook: typeof run.kwargs.webhook === "string" ? ctx.redactUrl(run.kwargs.webhook) : null,
    },
    assistant: assistant ? { name: assistant.name, graph_id: assistant.graph_id } : null,
    input: run.kwargs.input ?? null,
    command: run.kwargs.command ?? null,
    values: await finalValues(ctx, run, assistant, records),
    error: runError(events, records),
    events,
    deliveries,
  };
}
