import type { GraphRegistry } from "../runtime/graph-loader.js";
import { emptyThreadState, getThreadHistory, getThreadState, updateThreadState } from "../runtime/state.js";
import type { CheckpointSelector } from "../runtime/types.js";
import type { ThreadStates } from "../http/context.js";
import type { GraphPersistence } from "../storage/backend.js";
import type { JsonObject } from "../storage/types.js";
import { invalid } from "../errors.js";

const asSelector = (value: JsonObject | undefined) => value as CheckpointSelector | undefined;

/** A checkpoint given as an id, a checkpoint, or a RunnableConfig (`{configurable: {checkpoint_id}}`). */
function checkpointSelector(value: string | JsonObject | undefined): CheckpointSelector | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return { checkpoint_id: value };
  const configurable = value.configurable;
  return asSelector(configurable && typeof configurable === "object" && !Array.isArray(configurable) ? configurable : value);
}

/**
 * An update LangGraph cannot apply because of what the client sent: an unknown or ambiguous node
 * (InvalidUpdateError) or a checkpoint namespace naming no subgraph (a plain Error, by message).
 */
function isInvalidUpdate(error: unknown): error is Error {
  return error instanceof Error && (error.name === "InvalidUpdateError" || /^Subgraph ".*" not found$/.test(error.message));
}

/**
 * Thread state through the runtime: each call binds the thread's graph to the registry's
 * checkpointer (`checkpointer` is that one); copies and prunes go through its maintenance.
 */
export function threadStates(
  registry: GraphRegistry,
  { checkpointer, checkpoints }: Pick<GraphPersistence, "checkpointer" | "checkpoints">,
): ThreadStates {
  return {
    async get(threadId, graphId, options) {
      if (!graphId) return emptyThreadState() as unknown as JsonObject;
      const graph = await registry.get(graphId);
      return (await getThreadState(graph, threadId, { checkpoint: checkpointSelector(options.checkpoint), subgraphs: options.subgraphs })) as unknown as JsonObject;
    },

    async update(threadId, graphId, update) {
      const graph = await registry.get(graphId);
      let checkpoint;
      try {
        ({ checkpoint } = await updateThreadState(graph, threadId, {
          values: update.values,
          asNode: update.as_node,
          checkpoint: checkpointSelector(update.checkpoint),
        }));
      } catch (error) {
        if (isInvalidUpdate(error)) throw invalid(`the update cannot be applied: ${error.message}`);
        throw error;
      }
      const state = await getThreadState(graph, threadId);
      return { checkpoint: checkpoint as unknown as JsonObject, state: state as unknown as JsonObject };
    },

    async patchMetadata(threadId, metadata) {
      const latest = await checkpointer.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: "" } });
      if (!latest) return;
      // Re-putting the same checkpoint id replaces its metadata; no new channel versions, so the
      // channel values it references stay as they are.
      const parent = latest.parentConfig?.configurable?.checkpoint_id;
      await checkpointer.put(
        { configurable: { thread_id: threadId, checkpoint_ns: "", ...(parent ? { checkpoint_id: parent } : {}) } },
        latest.checkpoint,
        { ...latest.metadata!, ...metadata } as never,
        {},
      );
    },

    async history(threadId, graphId, options) {
      if (!graphId) return [];
      const graph = await registry.get(graphId);
      return (await getThreadHistory(graph, threadId, {
        limit: options.limit,
        before: checkpointSelector(options.before),
        metadata: options.metadata,
        checkpoint: checkpointSelector(options.checkpoint),
      })) as unknown as JsonObject[];
    },

    copy: (fromThreadId, toThreadId) => checkpoints.copyThread(fromThreadId, toThreadId),
    delete: (threadId) => checkpoints.deleteThread(threadId),
    keepLatest: (threadId) => checkpoints.keepLatest(threadId),
  };
}
