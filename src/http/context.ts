import type { Config } from "../config/config.js";
import type { Storage } from "../storage/storage.js";
import type { RunStreams } from "../bus/bus.js";
import type { RunControl } from "../queue/run-control.js";
import type { RunServiceDeps } from "../runs/create-run.js";
import type { JsonObject } from "../storage/types.js";
import type { HookgraphStore } from "../storage/backend.js";
import type { ErrorStacks } from "../server/error-stacks.js";
import type { DevReloadStatus } from "../server/dev-reload.js";

/** The graphs of langgraph.json, as the assistants API describes them. */
export interface GraphCatalog {
  has(graphId: string): boolean;
  /** The graph's drawing: `{nodes, edges}` as the official server returns it. */
  drawing(graphId: string, config: JsonObject, xray: boolean | number): Promise<JsonObject>;
  /** `{graph_id, input_schema, output_schema, state_schema, config_schema, context_schema}`. */
  schemas(graphId: string, config: JsonObject): Promise<JsonObject>;
  /** Namespace → schemas of the graph's subgraphs. */
  subgraphs(graphId: string, config: JsonObject, namespace: string | undefined, recurse: boolean): Promise<JsonObject>;
}

/** A thread's checkpointed state, read and written through its graph (`metadata.graph_id`). */
export interface ThreadStates {
  /** ThreadState JSON at the latest checkpoint, or at `checkpoint`; an empty state when the thread has no graph yet. */
  get(threadId: string, graphId: string | undefined, options: { checkpoint?: JsonObject; subgraphs?: boolean }): Promise<JsonObject>;
  /** Writes values as if `as_node` produced them; answers the new checkpoint and the state after it. */
  update(
    threadId: string,
    graphId: string,
    update: { values?: unknown; as_node?: string; checkpoint?: JsonObject },
  ): Promise<{ checkpoint: JsonObject; state: JsonObject }>;
  /** Merges metadata into the latest checkpoint's metadata. */
  patchMetadata(threadId: string, metadata: JsonObject): Promise<void>;
  history(
    threadId: string,
    graphId: string | undefined,
    options: { limit: number; before?: string | JsonObject; metadata?: JsonObject; checkpoint?: JsonObject },
  ): Promise<JsonObject[]>;
  copy(fromThreadId: string, toThreadId: string): Promise<void>;
  delete(threadId: string): Promise<void>;
  /** Removes every checkpoint but the latest. */
  keepLatest(threadId: string): Promise<void>;
}

/** Everything the routes use; built once by the server and handed to each route plugin. */
export interface ServerContext {
  config: Config;
  storage: Storage;
  streams: RunStreams;
  /** Waiting for, and cancelling, runs executed by any process. */
  runs: RunControl;
  runService: RunServiceDeps;
  graphs: GraphCatalog;
  states: ThreadStates;
  /** The long-term memory store (the `/store` API and graphs' `store`). */
  store: HookgraphStore;
  /** Nudges the webhook delivery worker (after a redelivery request). */
  wakeDeliveries(): void;
  /** Shows a webhook URL with its query values masked (API responses and logs). */
  redactUrl(url: string): string;
  /** Where failed runs' graphs threw, for the dashboard only (the API keeps `{error, message}`). */
  errorStacks: ErrorStacks;
  /** `dev` with reload: how the latest reload of the graphs went (the dashboard shows a failure). */
  devReload?: { status(): DevReloadStatus };
}
