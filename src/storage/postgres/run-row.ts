import type { JsonObject, MultitaskStrategy, QueuedRun, RunStatus } from "../types.js";
import { iso } from "./json.js";

/** The columns of a run as the API and the queue read it, each qualified by `r.` (the runs table's alias). */
export const RUN_COLUMNS = [
  "run_id",
  "thread_id",
  "assistant_id",
  "status",
  "metadata",
  "kwargs",
  "multitask_strategy",
  "created_at",
  "updated_at",
  "stateless",
  "on_completion",
  "attempt",
  "started_at",
  "ended_at",
]
  .map((column) => `r.${column}`)
  .join(", ");

export interface RunRow {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  metadata: JsonObject;
  kwargs: JsonObject;
  multitask_strategy: MultitaskStrategy;
  created_at: Date;
  updated_at: Date;
  stateless: boolean;
  on_completion: "delete" | "keep" | null;
  attempt: number;
  started_at: Date | null;
  ended_at: Date | null;
}

export function runFromRow(row: RunRow): QueuedRun {
  return {
    run_id: row.run_id,
    thread_id: row.thread_id,
    assistant_id: row.assistant_id,
    status: row.status,
    metadata: row.metadata,
    kwargs: row.kwargs,
    multitask_strategy: row.multitask_strategy,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    stateless: row.stateless,
    on_completion: row.on_completion,
    attempt: row.attempt,
    started_at: iso(row.started_at),
    ended_at: iso(row.ended_at),
  };
}
