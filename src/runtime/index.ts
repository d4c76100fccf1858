// The runtime layer: graph loading, execution, thread state, on the checkpointer and store it is handed. No HTTP, no database.
export * from "./types.js";
export { runCheckpointMetadata } from "./checkpoint-metadata.js";
export {
  GraphRegistry,
  GraphLoadError,
  GraphNotFoundError,
  loadGraphSpec,
  graphLibrary,
  type RuntimeGraph,
  type GraphRegistryOptions,
  type GetGraphOptions,
} from "./graph-loader.js";
export { executeRun, buildRunConfig, RunAbortedError } from "./execute.js";
export { toCommand } from "./command.js";
export { serializeMessage, toJson, toJsonObject } from "./serialize.js";
export { configToCheckpoint } from "./stream-mapper.js";
export {
  getThreadState,
  updateThreadState,
  bulkUpdateThreadState,
  getThreadHistory,
  emptyThreadState,
  interruptsByTask,
  snapshotToThreadState,
  type HistoryOptions,
  type StateLocation,
  type SuperstepUpdate,
} from "./state.js";
export { getGraphDrawing, getGraphSchemas, getSubgraphSchemas, type GraphSchemasJson } from "./graph-info.js";
