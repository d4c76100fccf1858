import { randomUUID } from "node:crypto";
import type { Storage } from "../storage/storage.js";
import type { Assistant, Json, JsonObject, MultitaskStrategy, QueuedRun } from "../storage/types.js";
import { systemAssistantId, isUuid } from "../storage/system-assistant.js";
import type { RunStreams, Signals } from "../bus/bus.js";
import type { RunControl } from "../queue/run-control.js";
import { notFound } from "../errors.js";

/** The body of every run-creating endpoint (the official RunCreateStateful / RunCreateStateless). */
export interface RunBody {
  assistant_id: string;
  input?: Json;
  command?: JsonObject | null;
  metadata?: JsonObject;
  config?: JsonObject;
  context?: JsonObject;
  webhook?: string;
  interrupt_before?: "*" | string[];
  interrupt_after?: "*" | string[];
  stream_mode?: string | string[];
  stream_subgraphs?: boolean;
  stream_resumable?: boolean;
  on_disconnect?: "cancel" | "continue";
  feedback_keys?: string[];
  multitask_strategy?: MultitaskStrategy;
  if_not_exists?: "create" | "reject";
  after_seconds?: number;
  checkpoint?: JsonObject;
  checkpoint_id?: string;
  checkpoint_during?: boolean;
  durability?: "sync" | "async" | "exit";
  on_completion?: "delete" | "keep";
}

export interface RunServiceDeps {
  storage: Storage;
  control: RunControl;
  streams: RunStreams;
  signals: Signals;
  /** Throws a 422 naming the rule when the webhook URL is not allowed; undefined when webhooks are off. */
  checkWebhookUrl(url: string): void;
}

/** Finds an assistant by id, or a graph's system assistant by graph id (`"agent"`). */
export async function resolveAssistant(storage: Storage, assistantIdOrGraph: string): Promise<Assistant> {
  const id = isUuid(assistantIdOrGraph) ? assistantIdOrGraph : systemAssistantId(assistantIdOrGraph);
  const assistant = await storage.assistants.get(id);
  if (!assistant) throw notFound("assistant", assistantIdOrGraph);
  return assistant;
}

/** The assistant's config under the run's, then the allowed request headers, then the ids the graph may read from `configurable`. */
function mergeConfig(
  assistant: Assistant,
  config: JsonObject | undefined,
  headers: Record<string, string>,
  ids: { run_id: string; thread_id: string },
): JsonObject {
  const base = assistant.config;
  return {
    ...base,
    ...config,
    configurable: {
      ...((base.configurable as JsonObject | undefined) ?? {}),
      ...((config?.configurable as JsonObject | undefined) ?? {}),
      ...headers,
      ...ids,
      graph_id: assistant.graph_id,
      assistant_id: assistant.assistant_id,
    },
  };
}

export interface CreatedRun {
  run: QueuedRun;
  /** The stream modes requested, normalised to a list. */
  streamModes: string[];
}

/**
 * When the request names no durability. `checkpoint_during: false` is the older spelling of
 * "exit". A stateless run whose thread is deleted at the end keeps no history anyone can read, so
 * its checkpoints are written once, when the graph exits (or pauses on an interrupt), instead of
 * after every step: about half of a short run's cost. The price: a server crash mid-run restarts
 * such a run from its input rather than from its last step.
 */
function defaultDurability(body: RunBody, onCompletion: "delete" | "keep" | null): "async" | "exit" {
  return body.checkpoint_during === false || onCompletion === "delete" ? "exit" : "async";
}

/**
 * Creates a run: resolves the assistant, checks the webhook URL, stores the pending run (applying
 * the thread's multitask strategy), cancels the runs it preempts and wakes the workers.
 * `threadId` undefined means a stateless run on a temporary thread.
 */
export async function createRun(
  deps: RunServiceDeps,
  threadId: string | undefined,
  body: RunBody,
  request: {
    headers?: Record<string, string>;
    /** false: the caller wakes the workers itself, once for a batch of runs (crons). */
    wake?: boolean;
  } = {},
): Promise<CreatedRun> {
  const assistant = await resolveAssistant(deps.storage, body.assistant_id);
  if (body.webhook !== undefined) deps.checkWebhookUrl(body.webhook);
  const stateless = threadId === undefined;
  const runId = randomUUID();
  const runThreadId = threadId ?? randomUUID();
  const streamModes = Array.isArray(body.stream_mode) ? body.stream_mode : [body.stream_mode ?? "values"];
  const onCompletion = stateless ? (body.on_completion ?? "delete") : null;
  const kwargs: JsonObject = {
    input: body.input ?? null,
    command: body.command ?? null,
    config: mergeConfig(assistant, body.config, request.headers ?? {}, { run_id: runId, thread_id: runThreadId }),
    context: { ...assistant.context, ...body.context },
    stream_mode: streamModes,
    interrupt_before: body.interrupt_before ?? null,
    interrupt_after: body.interrupt_after ?? null,
    webhook: body.webhook ?? null,
    feedback_keys: body.feedback_keys ?? null,
    temporary: stateless,
    subgraphs: body.stream_subgraphs ?? false,
    resumable: body.stream_resumable ?? false,
    checkpoint_id: body.checkpoint_id ?? (body.checkpoint?.checkpoint_id as string | undefined) ?? null,
    checkpoint: body.checkpoint ?? null,
    checkpoint_during: body.checkpoint_during ?? false,
    durability: body.durability ?? defaultDurability(body, onCompletion),
  };
  const { run, preempted } = await deps.storage.runs.create({
    run_id: runId,
    thread_id: runThreadId,
    assistant_id: assistant.assistant_id,
    metadata: body.metadata ?? {},
    kwargs,
    multitask_strategy: body.multitask_strategy ?? "enqueue",
    stateless,
    on_completion: onCompletion,
    create_thread: stateless || body.if_not_exists === "create",
    thread_metadata: { graph_id: assistant.graph_id, assistant_id: assistant.assistant_id },
    after_seconds: body.after_seconds,
  });
  deps.streams.open(run.run_id, run.thread_id);
  for (const { run_id, action } of preempted) await deps.control.cancel(run_id, action);
  if (request.wake !== false) deps.signals.wakeRuns();
  return { run, streamModes };
}
