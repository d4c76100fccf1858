import type { RunnableConfig } from "@langchain/core/runnables";
import type { StateSnapshot } from "@langchain/langgraph";
import type { RuntimeGraph } from "./graph-loader.js";
import { toCommand } from "./command.js";
import { configToCheckpoint } from "./stream-mapper.js";
import { toJson, toJsonObject } from "./serialize.js";
import type { ApiCommand, CheckpointRef, CheckpointSelector, InterruptJson, Json, ThreadStateJson, ThreadTaskJson } from "./types.js";

/**
 * Thread state on the checkpointer, through the thread's graph (which knows the channels), in the
 * official `ThreadState` JSON shape.
 */

type TaskDescription = StateSnapshot["tasks"][number];

function interruptToJson(interrupt: { id?: string; value?: unknown }): InterruptJson {
  return { value: toJson(interrupt.value), id: String(interrupt.id ?? "") };
}

/** Pending interrupts by task id: the `Thread.interrupts` shape. */
export function interruptsByTask(tasks: readonly TaskDescription[]): Record<string, InterruptJson[]> {
  const result: Record<string, InterruptJson[]> = {};
  for (const task of tasks) {
    if (task.interrupts.length > 0) result[task.id] = task.interrupts.map(interruptToJson);
  }
  return result;
}

function isSnapshot(state: TaskDescription["state"]): state is StateSnapshot {
  return typeof state === "object" && state !== null && "values" in state && "next" in state;
}

function errorMessage(error: unknown): string | null {
  if (error == null) return null;
  return error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(toJson(error));
}

function taskToJson(task: TaskDescription): ThreadTaskJson {
  const state = task.state;
  return {
    id: task.id,
    name: task.name,
    path: (toJson(task.path ?? null) as Json[] | null) ?? null,
    error: errorMessage(task.error),
    interrupts: task.interrupts.map(interruptToJson),
    checkpoint: state && !isSnapshot(state) ? configToCheckpoint(state, { requireId: false }) : null,
    state: isSnapshot(state) ? snapshotToThreadState(state) : null,
    result: task.result === undefined ? null : toJson(task.result),
  };
}

export function snapshotToThreadState(snapshot: StateSnapshot): ThreadStateJson {
  const tasks = snapshot.tasks.map(taskToJson);
  return {
    values: toJson(snapshot.values ?? {}),
    next: [...snapshot.next],
    tasks,
    checkpoint: configToCheckpoint(snapshot.config),
    metadata: toJsonObject(snapshot.metadata ?? {}),
    created_at: snapshot.createdAt ?? null,
    parent_checkpoint: configToCheckpoint(snapshot.parentConfig),
    interrupts: tasks.flatMap((task) => task.interrupts),
  };
}

/** The state of a thread that has no checkpoint (or no graph bound yet). */
export function emptyThreadState(): ThreadStateJson {
  return { values: {}, next: [], tasks: [], checkpoint: null, metadata: {}, created_at: null, parent_checkpoint: null, interrupts: [] };
}

export interface StateLocation {
  /** Extra config (the thread's/assistant's `configurable`) merged under the thread id. */
  config?: RunnableConfig;
  checkpoint?: CheckpointSelector | null;
  checkpointId?: string;
}

function threadConfig(threadId: string, location: StateLocation = {}): RunnableConfig {
  const checkpoint = location.checkpoint ?? {};
  const checkpointId = checkpoint.checkpoint_id ?? location.checkpointId;
  return {
    ...location.config,
    configurable: {
      ...location.config?.configurable,
      thread_id: threadId,
      checkpoint_ns: checkpoint.checkpoint_ns ?? "",
      ...(checkpointId ? { checkpoint_id: checkpointId } : {}),
      ...(checkpoint.checkpoint_map ? { checkpoint_map: checkpoint.checkpoint_map } : {}),
    },
  };
}

export async function getThreadState(
  graph: RuntimeGraph,
  threadId: string,
  options: StateLocation & { subgraphs?: boolean } = {},
): Promise<ThreadStateJson> {
  const snapshot = await graph.getState(threadConfig(threadId, options), { subgraphs: options.subgraphs ?? false });
  return snapshotToThreadState(snapshot);
}

function checkpointOf(config: RunnableConfig, threadId: string): CheckpointRef {
  return configToCheckpoint(config, { requireId: false }) ?? { thread_id: threadId, checkpoint_ns: "", checkpoint_id: null, checkpoint_map: null };
}

/** `POST /threads/{id}/state`: writes `values` as if `asNode` ran; returns the new checkpoint. */
export async function updateThreadState(
  graph: RuntimeGraph,
  threadId: string,
  update: StateLocation & { values: unknown; asNode?: string },
): Promise<{ checkpoint: CheckpointRef }> {
  const next = await graph.updateState(threadConfig(threadId, update), update.values ?? null, update.asNode);
  return { checkpoint: checkpointOf(next, threadId) };
}

export interface SuperstepUpdate {
  values?: unknown;
  command?: ApiCommand | null;
  as_node: string;
}

/** `POST /threads/{id}/state/bulk`: several supersteps of updates, applied in order. */
export async function bulkUpdateThreadState(
  graph: RuntimeGraph,
  threadId: string,
  supersteps: Array<{ updates: SuperstepUpdate[] }>,
  location: StateLocation = {},
): Promise<{ checkpoint: CheckpointRef }> {
  const next = await graph.bulkUpdateState(
    threadConfig(threadId, location),
    supersteps.map((step) => ({
      updates: step.updates.map((update) => ({
        values: update.command ? toCommand(update.command, graph) : (update.values ?? null),
        asNode: update.as_node,
      })),
    })),
  );
  return { checkpoint: checkpointOf(next, threadId) };
}

export interface HistoryOptions {
  limit?: number;
  /** Only checkpoints older than this one. */
  before?: CheckpointSelector | null;
  /** Only checkpoints whose metadata has these key/value pairs. */
  metadata?: Record<string, unknown> | null;
  /** Subgraph namespace (`checkpoint_ns`) and/or starting checkpoint. */
  checkpoint?: CheckpointSelector | null;
  config?: RunnableConfig;
}

/** Newest first, as `POST /threads/{id}/history`. */
export async function getThreadHistory(graph: RuntimeGraph, threadId: string, options: HistoryOptions = {}): Promise<ThreadStateJson[]> {
  const config = threadConfig(threadId, { config: options.config, checkpoint: options.checkpoint });
  const before = options.before?.checkpoint_id
    ? { configurable: { thread_id: threadId, checkpoint_ns: options.before.checkpoint_ns ?? "", checkpoint_id: options.before.checkpoint_id } }
    : undefined;
  const states: ThreadStateJson[] = [];
  const history = graph.getStateHistory(config, {
    limit: options.limit ?? 10,
    ...(before ? { before } : {}),
    ...(options.metadata ? { filter: options.metadata } : {}),
  });
  for await (const snapshot of history) states.push(snapshotToThreadState(snapshot));
  return states;
}
