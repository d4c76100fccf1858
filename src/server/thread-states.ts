import type { GraphRegistry } from "../runtime/graph-loader.js";
import type { HookgraphSqliteSaver } from "../runtime/checkpointer.js";
import {
  copyThreadCheckpoints,
  deleteThreadCheckpoints,
  emptyThreadState,
  getThreadHistory,
  getThreadState,
  updateThreadState,
} from "../runtime/state.js";
import type { CheckpointSelector } from "../runtime/types.js";
import type { ThreadStates } from "../http/context.js";
import type { JsonObject } from "../storage/types.js";
import { transaction } from "../storage/sqlite/transaction.js";
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

/** Thread state through the runtime: each call binds the thread's graph to our checkpointer. */
export function threadStates(registry: GraphRegistry, saver: HookgraphSqliteSaver): ThreadStates {
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
      const latest = await saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: "" } });
      if (!latest) return;
      // Re-putting the same checkpoint id replaces its metadata.
      const parent = latest.parentConfig?.configurable?.checkpoint_id;
      await saver.put(
        { configurable: { thread_id: threadId, checkpoint_ns: "", ...(parent ? { checkpoint_id: parent } : {}) } },
        latest.checkpoint,
        { ...latest.metadata!, ...metadata } as never,
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

    async copy(fromThreadId, toThreadId) {
      copyThreadCheckpoints(saver, fromThreadId, toThreadId);
    },

    async delete(threadId) {
      await deleteThreadCheckpoints(saver, threadId);
    },

    async keepLatest(threadId) {
      saver.ensureSetup();
      transaction(saver.db, () => {
        const latest = saver.db
          .prepare<[string], { checkpoint_id: string }>(
            "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1",
          )
          .get(threadId);
        if (!latest) return;
        saver.db.prepare("DELETE FROM writes WHERE thread_id = ? AND checkpoint_id <> ?").run(threadId, latest.checkpoint_id);
        saver.db.prepare("DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> ?").run(threadId, latest.checkpoint_id);
        saver.db.prepare("UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = ?").run(threadId);
      });
    },
  };
}
