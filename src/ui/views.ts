import type { ServerContext } from "../http/context.js";
import { notFound } from "../errors.js";
import type { BrowsedRun, DeliveryRecord, RunBrowse } from "../storage/storage.js";
import type { Assistant, DeliveryAttempt, DeliveryStatus, Json, JsonObject, QueuedRun, RunStatus } from "../storage/types.js";
import type { DevReloadStatus } from "../server/dev-reload.js";
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
  /** `dev` with reload: how the latest reload of the graphs went; null otherwise. */
  reload: DevReloadStatus | null;
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

/** The run without its kwargs: the page shows input and webhook only, so nothing else (config, headers) leaves. */
type RunFacts = Omit<QueuedRun, "kwargs" | "on_completion"> & { webhook: string | null };

export interface RunDetail {
  /**
   * A run deleted since it ended (stateless runs are, by default) is shown from what its webhook
   * delivery kept: its payload, which may lack what `webhooks.allowed_fields` left out.
   */
  run: RunFacts | (Partial<RunFacts> & Pick<RunFacts, "run_id" | "webhook"> & { deleted: true });
  assistant: { name: string; graph_id: string } | null;
  input: Json;
  command: Json;
  /** The state after the run's last step; null while it runs or when nothing kept it. */
  values: { source: "checkpoint" | "webhook payload"; values: Json } | null;
  /** Why the run failed, from its stream's `error` event or its webhook payload. */
  error: Json;
  /** Where the graph threw, while the server keeps it (see `ErrorStacks`); only here, never in the API. */
  stack: string | null;
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
    reload: ctx.devReload?.status() ?? null,
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

async function deliveryRecords(ctx: ServerContext, runId: string): Promise<DeliveryRecord[]> {
  const summaries = await ctx.storage.deliveries.list({ run_id: runId, limit: DELIVERIES_SHOWN, offset: 0 });
  const records = await Promise.all(summaries.map((summary) => ctx.storage.deliveries.get(summary.delivery_id)));
  return records.filter((record): record is DeliveryRecord => record !== undefined);
}

function deliveryViews(ctx: ServerContext, records: DeliveryRecord[]): DeliveryView[] {
  const deliveries = records.map((record) => deliveryView(ctx, record));
  // Stable sort: the list is already newest first.
  return deliveries.sort((a, b) => Number(b.failing) - Number(a.failing));
}

const text = (value: Json | undefined) => (typeof value === "string" ? value : undefined);

/** A deleted run as its newest delivery's payload describes it (the payload is the Run as sent). */
async function deletedRunDetail(ctx: ServerContext, runId: string, records: DeliveryRecord[], events: KeptEvents): Promise<RunDetail> {
  const [latest] = records;
  const sent = latest.payload;
  const assistantId = text(sent.assistant_id);
  const assistant = assistantId ? await ctx.storage.assistants.get(assistantId) : undefined;
  const kwargs = (sent.kwargs && typeof sent.kwargs === "object" && !Array.isArray(sent.kwargs) ? sent.kwargs : {}) as JsonObject;
  return {
    run: {
      run_id: runId,
      thread_id: latest.thread_id ?? text(sent.thread_id),
      assistant_id: assistantId,
      status: text(sent.status) as RunStatus | undefined,
      created_at: text(sent.created_at),
      started_at: text(sent.run_started_at) ?? null,
      ended_at: text(sent.run_ended_at) ?? null,
      // The URL the delivery went to, which is the run's webhook.
      webhook: ctx.redactUrl(latest.url),
      deleted: true,
    },
    assistant: assistant ? { name: assistant.name, graph_id: assistant.graph_id } : null,
    input: kwargs.input ?? null,
    command: kwargs.command ?? null,
    values: "values" in sent ? { source: "webhook payload", values: sent.values } : null,
    error: runError(events, records),
    stack: ctx.errorStacks.get(runId) ?? null,
    events,
    deliveries: deliveryViews(ctx, records),
  };
}

export async function runDetail(ctx: ServerContext, runId: string): Promise<RunDetail> {
  const [run, records, events] = await Promise.all([
    ctx.storage.runs.get(runId),
    deliveryRecords(ctx, runId),
    ctx.streams.kept(runId, EVENTS_SHOWN),
  ]);
  if (!run) {
    // A deleted run's deliveries stay inspectable and redeliverable.
    if (records.length > 0) return deletedRunDetail(ctx, runId, records, events);
    throw notFound("run", runId);
  }
  const assistant = await ctx.storage.assistants.get(run.assistant_id);
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
    stack: run.status === "error" ? (ctx.errorStacks.get(runId) ?? null) : null,
    events,
    deliveries: deliveryViews(ctx, records),
  };
}
