import { createRequire } from "node:module";
import type { RunnableConfig } from "@langchain/core/runnables";
import { MemorySaver, RunControl as GraphRunControl, isGraphDrained, type BaseCheckpointSaver, type StreamMode } from "@langchain/langgraph";
import { toCommand } from "./command.js";
import type { GraphRegistry, RuntimeGraph } from "./graph-loader.js";
import { interruptsByTask } from "./state.js";
import { StreamMapper, libraryStreamModes } from "./stream-mapper.js";
import { toJson } from "./serialize.js";
import type { EmitFn, Json, RunOutcome, RunRequest } from "./types.js";

const LANGGRAPH_VERSION: string = (createRequire(import.meta.url)("@langchain/langgraph/package.json") as { version: string }).version;

/** The error `executeRun` rejects with when its signal aborts without a reason of its own. */
export class RunAbortedError extends Error {
  override name = "RunAbortedError";
}

/**
 * The error `executeRun` rejects with when the graph stopped at a step boundary because `drain`
 * aborted: its checkpoint is saved, and the run continues from it when it is executed again.
 */
export class RunDrainedError extends Error {
  override name = "RunDrainedError";
}

function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  // An explicit `undefined` (e.g. recursionLimit) would override the graph's own defaults.
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * The RunnableConfig the official server runs a graph with: the ids in `configurable` (where graphs
 * and the checkpointer read them) and in `metadata` (which our saver stores with each checkpoint,
 * as the Python server does), plus the merged assistant/run config.
 */
export function buildRunConfig(request: RunRequest): RunnableConfig {
  const { configurable = {}, metadata = {}, tags, recursion_limit, run_name, max_concurrency } = request.config;
  const ids = {
    thread_id: request.threadId,
    run_id: request.runId,
    assistant_id: request.assistantId,
    graph_id: request.graphId,
  };
  const checkpoint = request.checkpoint ?? {};
  const checkpointId = checkpoint.checkpoint_id ?? request.checkpointId;
  return defined({
    configurable: {
      ...configurable,
      ...ids,
      ...(checkpointId ? { checkpoint_id: checkpointId } : {}),
      ...(checkpoint.checkpoint_ns ? { checkpoint_ns: checkpoint.checkpoint_ns } : {}),
      ...(checkpoint.checkpoint_map ? { checkpoint_map: checkpoint.checkpoint_map } : {}),
    },
    metadata: {
      ...metadata,
      ...request.metadata,
      ...ids,
      run_attempt: request.attempt,
      langgraph_version: LANGGRAPH_VERSION,
      langgraph_plan: "developer",
      langgraph_host: "self-hosted",
    },
    tags,
    recursionLimit: recursion_limit,
    runName: run_name,
    maxConcurrency: max_concurrency,
  }) as RunnableConfig;
}

/** Whether an earlier attempt of this run already wrote a checkpoint on the thread. */
async function hasRunCheckpoint(checkpointer: BaseCheckpointSaver, threadId: string, runId: string): Promise<boolean> {
  const checkpoints = checkpointer.list({ configurable: { thread_id: threadId, checkpoint_ns: "" } }, { filter: { run_id: runId }, limit: 1 });
  for await (const _ of checkpoints) return true;
  return false;
}

function abortError(signal: AbortSignal): unknown {
  // A plain `abort()` leaves a generic DOMException AbortError as the reason: report our own error.
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name !== "AbortError" ? reason : new RunAbortedError("The run was cancelled");
}

function splitChunk(chunk: unknown): [string[], string, unknown] {
  const parts = chunk as unknown[];
  return Array.isArray(parts[0]) ? [parts[0] as string[], parts[1] as string, parts[2]] : [[], parts[0] as string, parts[1]];
}

function isInterruptOnly(values: unknown): boolean {
  return typeof values === "object" && values !== null && Object.keys(values).length === 1 && "__interrupt__" in values;
}

/**
 * Runs a graph for one run, emitting the official server's SSE events (except metadata/end/error,
 * which the run manager adds). Resolves with the outcome; rejects with the graph's error, or when
 * `signal` aborts (with the signal's reason if it is an Error), or with RunDrainedError when `drain`
 * aborted and the graph stopped at its next step boundary (a stopping server hands the run on).
 */
export async function executeRun(
  registry: GraphRegistry,
  request: RunRequest,
  emit: EmitFn,
  signal: AbortSignal,
  drain?: AbortSignal,
): Promise<RunOutcome> {
  if (signal.aborted) throw abortError(signal);
  const config = buildRunConfig(request);
  // A saver of its own per run: interrupts and the final state still work, and nothing is written.
  const graph = await registry.get(request.graphId, config, request.ephemeral ? { checkpointer: new MemorySaver() } : {});
  const checkpointer = typeof graph.checkpointer === "object" ? graph.checkpointer : undefined;

  let input: unknown = request.command ? toCommand(request.command, graph) : (request.input ?? null);
  if (request.resumed && checkpointer && (await hasRunCheckpoint(checkpointer, request.threadId, request.runId))) {
    // Continue from where the earlier attempt stopped instead of applying the input twice.
    input = null;
    delete config.configurable!.checkpoint_id;
  }

  const apiModes = new Set(request.streamMode);
  const mapper = new StreamMapper(apiModes, request.streamSubgraphs, config, emit);
  const streamMode: StreamMode[] = libraryStreamModes(apiModes);
  // Without a checkpointer the final values are only known from the stream.
  if (!checkpointer && !streamMode.includes("values")) streamMode.push("values");
  let lastValues: unknown = null;
  const onChunk = (chunk: unknown) => {
    const [namespace, mode, payload] = splitChunk(chunk);
    if (mode === "values" && namespace.length === 0 && !isInterruptOnly(payload)) lastValues = payload;
    mapper.chunk(namespace, mode, payload);
  };

  const options = {
    ...config,
    ...defined({
      streamMode,
      subgraphs: request.streamSubgraphs,
      interruptBefore: request.interruptBefore,
      interruptAfter: request.interruptAfter,
      context: request.context ?? undefined,
      durability: request.durability,
    }),
    runId: request.runId,
    signal,
    ...(drain ? { control: drainControl(drain) } : {}),
  };

  try {
    if (apiModes.has("events")) {
      await streamWithEvents(graph, input, options, request.runId, onChunk, mapper);
    } else {
      for await (const chunk of await graph.stream(input, options)) onChunk(chunk);
    }
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    if (isGraphDrained(error)) throw new RunDrainedError("the run stopped at a step boundary to be continued by another worker");
    throw error;
  }
  if (signal.aborted) throw abortError(signal);
  return outcome(graph, request.threadId, checkpointer ? undefined : lastValues);
}

/** The library's run control, asked to drain when `drain` aborts. */
function drainControl(drain: AbortSignal): GraphRunControl {
  const control = new GraphRunControl();
  if (drain.aborted) control.requestDrain("shutdown");
  else drain.addEventListener("abort", () => control.requestDrain("shutdown"), { once: true });
  return control;
}

async function streamWithEvents(
  graph: RuntimeGraph,
  input: unknown,
  options: Record<string, unknown>,
  runId: string,
  onChunk: (chunk: unknown) => void,
  mapper: StreamMapper,
): Promise<void> {
  const events = graph.streamEvents(input, { ...options, version: "v2" } as Parameters<RuntimeGraph["streamEvents"]>[1]);
  for await (const event of events as AsyncIterable<Record<string, unknown>>) {
    const tags = event.tags as string[] | undefined;
    if (tags?.includes("langsmith:hidden")) continue;
    // The root run's stream events carry the stream-mode chunks; everything else is an `events` event.
    if (event.event === "on_chain_stream" && event.run_id === runId) {
      onChunk((event.data as { chunk: unknown }).chunk);
    } else {
      mapper.event(event);
    }
  }
}

async function outcome(graph: RuntimeGraph, threadId: string, streamedValues: unknown): Promise<RunOutcome> {
  if (streamedValues !== undefined) {
    return { status: "success", values: toJson(streamedValues) as Json | null, interrupts: {} };
  }
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const interrupts = interruptsByTask(snapshot.tasks);
  return {
    status: snapshot.next.length > 0 || Object.keys(interrupts).length > 0 ? "interrupted" : "success",
    values: toJson(snapshot.values),
    interrupts,
  };
}
