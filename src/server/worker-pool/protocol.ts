import type { GraphSpec } from "../../config/langgraph-json.js";
import type { DatabaseLocation } from "../../storage/backend.js";
import type { EnvChanges } from "../../config/project-env.js";
import type { JsonObject } from "../../storage/types.js";
import type { ClaimedRun } from "../../storage/storage.js";
import type { RunEvent } from "./event-batcher.js";

/** What a graph worker thread needs to set itself up. */
export interface WorkerSetup {
  /** Where the worker opens its own graph persistence (checkpointer and store). */
  database: DatabaseLocation;
  graphs: GraphSpec[];
}

/** Main thread → worker. */
export type ToWorker =
  | { type: "execute"; run: ClaimedRun }
  /** Stop the run at its next step boundary (the server is stopping). */
  | { type: "drain"; runId: string }
  | { type: "abort"; runId: string }
  /** Dev reload: load the project's code afresh (runs already executing keep theirs). */
  | { type: "reload"; id: number; graphs: GraphSpec[]; env: EnvChanges }
  /** Abort what runs, close the persistence, exit. */
  | { type: "close" };

/** Worker → main thread. Event data is plain JSON (the runtime serialises LangChain objects). */
export type FromWorker =
  | { type: "ready" }
  | { type: "setup-failed"; message: string }
  /** Stream events in the order they were emitted, of one or more runs (see `EventBatcher`). */
  | { type: "events"; events: RunEvent[] }
  | { type: "done"; runId: string; interrupted: boolean; values: JsonObject | null; interrupts: JsonObject }
  /** `stack`: the graph's own, so the log and the dashboard show where the user's code threw. */
  | { type: "failed"; runId: string; name: string; message: string; stack?: string; aborted: boolean }
  | { type: "reloaded"; id: number }
  | { type: "reload-failed"; id: number; message: string };
