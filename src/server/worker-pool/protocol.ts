import type { GraphSpec } from "../../config/langgraph-json.js";
import type { JsonObject, QueuedRun } from "../../storage/types.js";
import type { RunEvent } from "./event-batcher.js";

/** What a graph worker thread needs to set itself up. */
export interface WorkerSetup {
  dataDir: string;
  graphs: GraphSpec[];
}

/** Main thread → worker. */
export type ToWorker =
  | { type: "execute"; run: QueuedRun }
  | { type: "abort"; runId: string };

/** Worker → main thread. Event data is plain JSON (the runtime serialises LangChain objects). */
export type FromWorker =
  | { type: "ready" }
  | { type: "setup-failed"; message: string }
  /** Stream events in the order they were emitted, of one or more runs (see `EventBatcher`). */
  | { type: "events"; events: RunEvent[] }
  | { type: "done"; runId: string; interrupted: boolean; values: JsonObject | null; interrupts: JsonObject }
  | { type: "failed"; runId: string; name: string; message: string; aborted: boolean };
