import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointMetadata } from "@langchain/langgraph-checkpoint";

/** Configurable keys that never go into checkpoint metadata (internal, or likely secrets). */
const EXCLUDED_CONFIGURABLE = new Set(["checkpoint_id", "checkpoint_ns", "checkpoint_map"]);
const SECRET_LIKE = /key|token|secret|passw|auth|credential|cookie/i;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

/**
 * The metadata the Python server stores with each checkpoint: the run config's metadata plus the
 * scalar `configurable` values (thread_id, run_id, graph_id, assistant_id, user values), under the
 * library's own keys (source, step, parents). LangGraph.js stores only its own keys; this is what
 * lets history show `run_id` and lets us find (resume, roll back) the checkpoints a run wrote.
 * Every dialect's checkpointer records it (`storage/{sqlite,postgres}/checkpointer.ts`).
 */
export function runCheckpointMetadata(config: RunnableConfig, metadata: CheckpointMetadata): CheckpointMetadata {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.configurable ?? {})) {
    if (key.startsWith("__") || EXCLUDED_CONFIGURABLE.has(key) || SECRET_LIKE.test(key) || !isScalar(value)) continue;
    merged[key] = value;
  }
  for (const [key, value] of Object.entries(config.metadata ?? {})) {
    // `ls_*` are LangSmith tracing tags the library adds, not run metadata.
    if (key.startsWith("__") || key.startsWith("ls_") || value === undefined || typeof value === "function") continue;
    merged[key] = value;
  }
  return { ...merged, ...metadata } as CheckpointMetadata;
}
