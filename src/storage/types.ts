/** Records as the API returns them (the official server's field names). */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type ThreadStatus = "idle" | "busy" | "interrupted" | "error";
export type RunStatus = "pending" | "running" | "error" | "success" | "timeout" | "interrupted";
export type MultitaskStrategy = "reject" | "rollback" | "interrupt" | "enqueue";
export type SortOrder = "asc" | "desc";
/** What stopping a run does: `interrupt` keeps what it wrote, `rollback` removes it. */
export type CancelAction = "interrupt" | "rollback";

export interface Assistant {
  assistant_id: string;
  graph_id: string;
  name: string;
  description: string | null;
  config: JsonObject;
  context: JsonObject;
  metadata: JsonObject;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface AssistantVersion extends Omit<Assistant, "updated_at"> {}

export interface Thread {
  thread_id: string;
  status: ThreadStatus;
  metadata: JsonObject;
  config: JsonObject;
  values: Json | null;
  interrupts: JsonObject;
  created_at: string;
  updated_at: string;
}

export interface Run {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: RunStatus;
  metadata: JsonObject;
  kwargs: JsonObject;
  multitask_strategy: MultitaskStrategy;
  created_at: string;
  updated_at: string;
}

/** A run as the queue sees it: the API record plus execution bookkeeping. */
export interface QueuedRun extends Run {
  stateless: boolean;
  on_completion: "delete" | "keep" | null;
  attempt: number;
  started_at: string | null;
  ended_at: string | null;
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";

export interface DeliveryAttempt {
  attempt: number;
  trigger: "automatic" | "manual";
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
}

export interface Delivery {
  delivery_id: string;
  run_id: string;
  thread_id: string | null;
  /** As given by the client; redact before showing. */
  url: string;
  payload: JsonObject;
  status: DeliveryStatus;
  attempt_count: number;
  /** Automatic attempts made so far: the retry schedule is indexed by these. */
  automatic_attempts: number;
  /** The next attempt was asked for by a person (redeliver). */
  manual_requested: boolean;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}
