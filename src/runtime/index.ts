// The runtime layer: graph loading, execution, thread state, store. No HTTP, no API database.
export * from "./types.js";
export { openCheckpointer, checkpointsPath, HookgraphSqliteSaver, runCheckpointMetadata } from "./checkpointer.js";
export { SqliteStore, StoreRequestError, STORE_SCHEMA_SQL, storeItemToJson, validateStoreNamespace, type StorePutOptions, type StoreReadOptions } from "./store.js";
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
  copyThreadCheckpoints,
  deleteThreadCheckpoints,
  rollbackRunCheckpoints,
  emptyThreadState,
  interruptsByTask,
  snapshotToThreadState,
  type HistoryOptions,
  type StateLocation,
  type SuperstepUpdate,
} from "./state.js";
export { getGraphDrawing, getGraphSchemas, getSubgraphSchemas, type GraphSchemasJson } from "./graph-info.js";
