import type {
  Assistant,
  AssistantVersion,
  Delivery,
  DeliveryAttempt,
  Json,
  JsonObject,
  MultitaskStrategy,
  QueuedRun,
  Run,
  RunStatus,
  SortOrder,
  Thread,
  ThreadStatus,
} from "./types.js";

/**
 * The storage interface: domain operations, each atomic. Routes and workers speak only this;
 * the SQL lives in the dialect folder (`sqlite/`). Every operation is async so that a
 * networked dialect fits the same interface.
 */
export interface Storage {
  assistants: AssistantRepository;
  threads: ThreadRepository;
  runs: RunRepository;
  deliveries: DeliveryRepository;
  close(): Promise<void>;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface AssistantCreate {
  assistant_id?: string;
  graph_id: string;
  name?: string;
  description?: string | null;
  config?: JsonObject;
  context?: JsonObject;
  metadata?: JsonObject;
  if_exists?: "raise" | "do_nothing";
}

export interface AssistantPatch {
  graph_id?: string;
  name?: string;
  description?: string | null;
  config?: JsonObject;
  context?: JsonObject;
  metadata?: JsonObject;
}

export interface AssistantSearch extends Page {
  graph_id?: string;
  name?: string;
  metadata?: JsonObject;
  sort_by?: "assistant_id" | "created_at" | "updated_at" | "name" | "graph_id";
  sort_order?: SortOrder;
}

export interface AssistantRepository {
  /** The one assistant per graph that always exists, id uuid5(graph_id, namespace). */
  ensureSystem(graphIds: string[]): Promise<void>;
  create(input: AssistantCreate): Promise<Assistant>;
  get(assistantId: string): Promise<Assistant | undefined>;
  patch(assistantId: string, patch: AssistantPatch): Promise<Assistant>;
  delete(assistantId: string): Promise<void>;
  search(query: AssistantSearch): Promise<Assistant[]>;
  count(query: Omit<AssistantSearch, "limit" | "offset" | "sort_by" | "sort_order">): Promise<number>;
  versions(assistantId: string, query: Page & { metadata?: JsonObject }): Promise<AssistantVersion[]>;
  setLatest(assistantId: string, version: number): Promise<Assistant>;
}

export interface ThreadCreate {
  thread_id?: string;
  metadata?: JsonObject;
  if_exists?: "raise" | "do_nothing";
  /** Minutes after which the thread is deleted (ttl strategy "delete"). */
  ttl_minutes?: number;
}

export interface ThreadSearch extends Page {
  ids?: string[];
  metadata?: JsonObject;
  values?: JsonObject;
  status?: ThreadStatus;
  sort_by?: "thread_id" | "status" | "created_at" | "updated_at";
  sort_order?: SortOrder;
}

export interface ThreadRepository {
  create(input: ThreadCreate): Promise<Thread>;
  get(threadId: string): Promise<Thread | undefined>;
  /** Metadata is merged key by key, as the official server does. */
  patch(threadId: string, patch: { metadata?: JsonObject; ttl_minutes?: number }): Promise<Thread>;
  /** Deletes the thread with its runs; false when it did not exist. */
  delete(threadId: string): Promise<boolean>;
  search(query: ThreadSearch): Promise<Thread[]>;
  count(query: Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">): Promise<number>;
  /** Records the thread's state after a state change outside a run (update_state, copy). */
  setState(threadId: string, state: { values: Json | null; interrupts: JsonObject; status?: ThreadStatus }): Promise<void>;
  /** Threads whose ttl has passed. */
  expired(now: Date, limit: number): Promise<string[]>;
}

export interface RunCreate {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  metadata: JsonObject;
  kwargs: JsonObject;
  multitask_strategy: MultitaskStrategy;
  stateless: boolean;
  on_completion: "delete" | "keep" | null;
  /** Create the thread if it does not exist (if_not_exists "create", stateless runs). */
  create_thread: boolean;
  /** Merged into the thread's metadata (the graph and assistant that last ran on it). */
  thread_metadata: JsonObject;
  after_seconds?: number;
}

export interface RunCreated {
  run: QueuedRun;
  /** Runs on the same thread that the strategy (interrupt / rollback) asks to stop. */
  preempted: { run_id: string; action: "interrupt" | "rollback" }[];
}

export interface RunFinish {
  status: Exclude<RunStatus, "pending" | "running">;
  /** The thread's state after the run; undefined leaves the stored state as it is. */
  thread?: { status: ThreadStatus; values?: Json | null; interrupts?: JsonObject };
  /** The webhook outbox row, written in the same transaction. */
  delivery?: { delivery_id: string; url: string; payload: JsonObject };
  /** Stateless `on_completion: delete`: remove the temporary thread and its runs. */
  delete_thread?: boolean;
}

export interface RunRepository {
  /** Inserts a pending run and applies the multitask strategy atomically (409 on reject). */
  create(input: RunCreate): Promise<RunCreated>;
  get(runId: string, threadId?: string): Promise<QueuedRun | undefined>;
  list(threadId: string, query: Page & { status?: RunStatus }): Promise<Run[]>;
  delete(runId: string, threadId: string): Promise<void>;
  /**
   * Claims up to `limit` pending runs that are due, at most one per thread and none on a thread
   * that already has a running run; marks them running and increments their attempt.
   */
  claim(limit: number, now: Date): Promise<QueuedRun[]>;
  /** The earliest `available_at` after `after` of a pending run, for a wake-up timer. */
  nextDue(after: Date): Promise<Date | undefined>;
  /** Marks the run finished, sets the thread's state and writes the webhook outbox row, in one transaction. */
  finish(runId: string, finish: RunFinish): Promise<void>;
  /** A pending run cancelled before it started: it ends as interrupted (or is deleted on rollback), with no webhook. */
  cancelPending(runId: string, action: "interrupt" | "rollback"): Promise<boolean>;
  /**
   * Start-up recovery: runs left `running` by a dead process go back to pending; those already
   * tried `maxAttempts` times are returned for the caller to end as errors.
   */
  recoverAbandoned(maxAttempts: number): Promise<QueuedRun[]>;
  /** Ids of pending and/or running runs matching every given filter. */
  findActive(query: { thread_id?: string; run_ids?: string[]; status: "pending" | "running" | "all" }): Promise<string[]>;
  /** Ids of the thread's runs that are pending or running. */
  inflight(threadId: string): Promise<{ run_id: string; status: RunStatus }[]>;
}

export interface DeliveryRecord extends Delivery {
  attempts: DeliveryAttempt[];
}

export interface DeliveryRepository {
  /** Claims up to `limit` due deliveries, leasing them until `leaseUntil`. */
  claimDue(limit: number, now: Date, leaseUntil: Date): Promise<Delivery[]>;
  nextDue(): Promise<Date | undefined>;
  recordAttempt(
    deliveryId: string,
    attempt: DeliveryAttempt,
    next: { status: "succeeded" | "failed" } | { status: "pending"; next_attempt_at: Date },
  ): Promise<void>;
  /** Releases every lease: the embedded database has one owner, so a restart takes them back at once. */
  releaseAllLeases(): Promise<void>;
  get(deliveryId: string): Promise<DeliveryRecord | undefined>;
  list(query: Page & { run_id?: string; thread_id?: string; status?: Delivery["status"] }): Promise<Delivery[]>;
  /** Makes the delivery due now (a manual attempt); false when unknown. */
  redeliver(deliveryId: string): Promise<boolean>;
}
