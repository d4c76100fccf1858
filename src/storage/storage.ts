import type {
  Assistant,
  CancelAction,
  AssistantVersion,
  Delivery,
  DeliveryAttempt,
  DeliveryStatus,
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
 * the SQL lives in the dialect folders (`sqlite/`, `postgres/`). Every operation is async so that
 * a networked dialect fits the same interface. Both dialects pass one conformance suite
 * (test/storage/conformance), so callers never ask which database they are on.
 */
export interface Storage {
  assistants: AssistantRepository;
  threads: ThreadRepository;
  runs: RunRepository;
  deliveries: DeliveryRepository;
  /** Read-only queries across threads for the dashboard. */
  runBrowser: RunBrowser;
  crons: CronRepository;
  /** Answers when the database is usable; throws otherwise (`/ok?check_db=1`). */
  ping(): Promise<void>;
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
  /**
   * A new thread `toThreadId` with the metadata, values and interrupts of `fromThreadId` (a busy
   * source gives an idle copy, since the copy has no run); 404 when the source does not exist.
   */
  copy(fromThreadId: string, toThreadId: string): Promise<Thread>;
  search(query: ThreadSearch): Promise<Thread[]>;
  count(query: Omit<ThreadSearch, "limit" | "offset" | "sort_by" | "sort_order">): Promise<number>;
  /** Records the thread's state after a state change outside a run (update_state, copy). */
  setState(threadId: string, state: { values: Json | null; interrupts: JsonObject; status?: ThreadStatus }): Promise<void>;
  /** Threads whose ttl has passed (reads already hide them; this finds them to delete). */
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

/**
 * A lease on work (a running run, a webhook attempt): held by one process until it expires unless
 * renewed. Durations, not instants: each dialect reads its own clock (PostgreSQL's `now()`, so that
 * processes on machines with skewed clocks agree).
 */
export interface LeaseRequest {
  /** Who takes the lease: a process id (`host:pid:random`), shown on the dashboard and in logs. */
  owner: string;
  leaseMs: number;
}

/** A run as a queue worker holds it: `lease_id` is the fencing token of this claim. */
export interface ClaimedRun extends QueuedRun {
  /** New at every claim: a finish or heartbeat with an older one changes nothing. */
  lease_id: string;
  /** A cancel asked for before or while the run was claimed. */
  cancel_action: CancelAction | null;
  /**
   * An earlier claim started this run (taken back from a dead holder, or handed back by a stopping
   * one, which spends no attempt): the executor continues from the checkpoints it wrote.
   */
  resumed: boolean;
}

/** What a heartbeat learns about the leases it renewed. */
export interface Heartbeat {
  /** Lease ids still held (renewed); any other id given was lost (expired and taken back, or the run ended). */
  held: string[];
  /** Cancels recorded for held runs (a cancel signal that did not arrive still takes effect). */
  cancels: { run_id: string; action: CancelAction }[];
}

/** What a `reclaim` took back. */
export interface Reclaimed {
  /** Runs put back in the queue. */
  requeued: number;
  /** Runs out of attempts, now leased to the caller to be ended as errors. */
  exhausted: ClaimedRun[];
}

export interface RunFinish {
  status: Exclude<RunStatus, "pending" | "running">;
  /** The thread's state after the run; undefined leaves the stored state as it is. */
  thread?: { status: ThreadStatus; values?: Json | null; interrupts?: JsonObject };
  /** The webhook outbox row, written in the same transaction. */
  delivery?: { delivery_id: string; url: string; payload: JsonObject };
  /** Stateless `on_completion: delete`: remove the temporary thread and its runs. */
  delete_thread?: boolean;
  /** Cancelled with action "rollback": the run is removed (its checkpoints already are). */
  delete_run?: boolean;
}

export interface RunRepository {
  /** Inserts a pending run and applies the multitask strategy atomically (409 on reject). */
  create(input: RunCreate): Promise<RunCreated>;
  get(runId: string, threadId?: string): Promise<QueuedRun | undefined>;
  list(threadId: string, query: Page & { status?: RunStatus }): Promise<Run[]>;
  delete(runId: string, threadId: string): Promise<void>;
  /**
   * Claims up to `limit` pending runs that are due, at most one per thread and none on a thread
   * that already has a running run (across every process: the database enforces it); marks them
   * running under a new lease and increments their attempt. Concurrent claimers never get the same run.
   */
  claim(limit: number, now: Date, lease: LeaseRequest): Promise<ClaimedRun[]>;
  /** The earliest `available_at` after `after` of a pending run, for a wake-up timer. */
  nextDue(after: Date): Promise<Date | undefined>;
  /** Pending runs due at `now` and the oldest one's due time: the queue's depth and lag (/metrics). */
  queueStats(now: Date): Promise<{ due: number; oldestDueAt: Date | undefined }>;
  /** Renews the owner's leases on running runs by `leaseMs`; see `Heartbeat`. */
  heartbeat(owner: string, leaseIds: readonly string[], leaseMs: number): Promise<Heartbeat>;
  /**
   * Marks the run finished, sets the thread's state and writes the webhook outbox row, in one
   * transaction. With `leaseId`, only while that lease still holds the running run (fenced: a
   * process that lost its lease cannot overwrite a run someone else took over). False when nothing
   * was written: fenced out, or the run had already ended.
   */
  finish(runId: string, finish: RunFinish, leaseId?: string): Promise<boolean>;
  /**
   * Graceful hand-back (shutdown): the runs held under these leases go back to pending without
   * spending an attempt, due at once. Answers how many were handed back.
   */
  release(leaseIds: readonly string[]): Promise<number>;
  /**
   * Takes back runs whose holder is gone: with `scope: "expired"`, running runs whose lease has
   * expired (the sweeper, any process); with `"all"`, every running run (the embedded database's
   * start-up, whose single owner is known dead). They go back to pending; those already tried
   * `maxAttempts` times are leased to the caller instead, to be ended as errors.
   */
  reclaim(options: { scope: "expired" | "all"; maxAttempts: number; lease: LeaseRequest }): Promise<Reclaimed>;
  /**
   * A pending run cancelled before it started: it ends as interrupted (or is deleted on rollback),
   * with no webhook. Answers the run as it was, or undefined when it was not pending.
   */
  cancelPending(runId: string, action: CancelAction): Promise<QueuedRun | undefined>;
  /**
   * Records a cancel of a running run, for its holder to act on (at its next heartbeat if the
   * signal is lost). True when the run was running.
   */
  requestCancel(runId: string, action: CancelAction): Promise<boolean>;
  /** Ids of pending and/or running runs matching every given filter. */
  findActive(query: { thread_id?: string; run_ids?: string[]; status: "pending" | "running" | "all" }): Promise<string[]>;
  /** Ids of the thread's runs that are pending or running. */
  inflight(threadId: string): Promise<{ run_id: string; status: RunStatus }[]>;
}

export interface DeliveryRecord extends Delivery {
  attempts: DeliveryAttempt[];
}

/** A delivery as the delivery worker claims it. */
export interface ClaimedDelivery extends Delivery {
  /** The URL's origin: the unit of per-receiver concurrency. */
  origin: string;
  /** The fencing token of this claim (empty for a delivery read, not claimed). */
  lease_id: string;
}

/** One finished attempt of a leased delivery, and what the delivery does next. */
export interface FinishedAttempt {
  delivery_id: string;
  /** The claim's lease: an attempt recorded under a lease that was lost (and taken over) is dropped. */
  lease_id: string;
  attempt: DeliveryAttempt;
  next: { status: "succeeded" | "failed" } | { status: "pending"; next_attempt_at: Date };
}

export interface DeliveryClaim {
  /** Attempts finished since the last claim, recorded first in the same transaction (one commit for both). */
  finished: readonly FinishedAttempt[];
  limit: number;
  now: Date;
  lease: LeaseRequest;
  /** At most this many deliveries of one origin in flight across every process... */
  perOrigin: number;
  /**
   * ...counting this process's own in flight, by origin (a dialect that keeps every lease in its
   * rows counts them there, for the whole cluster, and may ignore this).
   */
  busy: ReadonlyMap<string, number>;
}

export interface DeliveryRepository {
  /**
   * Records the finished attempts (each releasing its lease; a redelivery asked for during an
   * attempt makes the delivery due at once), then claims up to `limit` due deliveries not leased
   * by anyone, oldest due first, leasing them for `lease.leaseMs` and skipping any origin that
   * would exceed `perOrigin` deliveries in flight. One transaction.
   */
  claimDue(claim: DeliveryClaim): Promise<ClaimedDelivery[]>;
  /** The earliest due time after `after` of a pending delivery, for a wake-up timer. */
  nextDue(after: Date): Promise<Date | undefined>;
  /** Records one finished attempt on its own (claimDue records them in batches). */
  recordAttempt(deliveryId: string, attempt: DeliveryAttempt, next: FinishedAttempt["next"]): Promise<void>;
  /**
   * Releases leases, the deliveries due at once: with `owner`, that process's (a graceful stop
   * hands its cut-short attempts to the others); without, every lease (the embedded database's
   * start-up: its single owner is known dead).
   */
  releaseLeases(owner?: string): Promise<void>;
  get(deliveryId: string): Promise<DeliveryRecord | undefined>;
  /** Newest first. */
  list(query: Page & { run_id?: string; thread_id?: string; status?: Delivery["status"] }): Promise<Delivery[]>;
  /** Asks for a manual attempt now (right after the current one, if one is in flight); false when unknown. */
  redeliver(deliveryId: string): Promise<boolean>;
}

/** Every run status, in the order a run may pass through them. */
export const RUN_STATUSES: readonly RunStatus[] = ["pending", "running", "success", "error", "timeout", "interrupted"];

/** Filters of the dashboard's run list; each one optional, all of them combined. */
export interface RunBrowse {
  status?: RunStatus;
  assistant_id?: string;
  thread_id?: string;
}

/** The outcome of a delivery's latest attempt. */
export interface LastAttempt {
  attempt: number;
  started_at: string;
  status_code: number | null;
  error: string | null;
}

/** A run of any thread, with its newest webhook delivery (if any) in brief. */
export interface BrowsedRun extends QueuedRun {
  delivery: {
    delivery_id: string;
    status: DeliveryStatus;
    attempt_count: number;
    /** The latest attempt did not succeed. */
    failing: boolean;
  } | null;
}

/** A delivery whose latest attempt failed: retrying (`pending`) or given up (`failed`). */
export interface FailingDelivery extends Omit<Delivery, "payload" | "automatic_attempts" | "manual_requested"> {
  last_attempt: LastAttempt;
}

export interface RunBrowser {
  /** Newest first; with `before` (a run id), only runs created before that run. */
  list(query: RunBrowse & Page & { before?: string }): Promise<BrowsedRun[]>;
  /** Runs per status under the other filters; every status is present. */
  countByStatus(query: Omit<RunBrowse, "status">): Promise<Record<RunStatus, number>>;
  /** Retrying ones first, then given-up ones; most recent attempt first within each. */
  failingDeliveries(limit: number): Promise<FailingDelivery[]>;
  /** Deliveries per status, `retrying` counting the pending ones whose latest attempt failed. */
  deliveryCounts(): Promise<Record<DeliveryStatus | "retrying", number>>;
}

/** A cron as the API returns it (before the webhook URL is redacted). */
export interface Cron {
  cron_id: string;
  assistant_id: string;
  /** null: stateless, each firing runs on a new thread. */
  thread_id: string | null;
  /** Stateless crons: what happens to each firing's thread once its run ends. */
  on_run_completed: "delete" | "keep" | null;
  end_time: string | null;
  schedule: string;
  timezone: string;
  created_at: string;
  updated_at: string;
  /** The run fields every firing is created with (input, config, webhook, multitask_strategy, ...). */
  payload: JsonObject;
  user_id: string | null;
  /** When it fires next; null when disabled or past its end_time. */
  next_run_date: string | null;
  metadata: JsonObject;
  enabled: boolean;
}

export type CronCreate = Omit<Cron, "created_at" | "updated_at" | "user_id">;

export type CronUpdate = Partial<Pick<Cron, "schedule" | "timezone" | "end_time" | "enabled" | "on_run_completed" | "payload" | "metadata" | "next_run_date">>;

export interface CronFilter {
  assistant_id?: string;
  thread_id?: string;
  enabled?: boolean;
  metadata?: JsonObject;
}

export interface CronSearch extends Page, CronFilter {
  sort_by?: "cron_id" | "assistant_id" | "thread_id" | "next_run_date" | "end_time" | "created_at" | "updated_at";
  sort_order?: SortOrder;
}

export interface CronRepository {
  /** 404 when `thread_id` names no thread. Crons go with their thread and their assistant. */
  create(input: CronCreate): Promise<Cron>;
  get(cronId: string): Promise<Cron | undefined>;
  /** 404 when unknown. */
  update(cronId: string, update: CronUpdate): Promise<Cron>;
  delete(cronId: string): Promise<boolean>;
  search(query: CronSearch): Promise<Cron[]>;
  count(query: CronFilter): Promise<number>;
  /** Enabled crons whose next_run_date is at or before `now`, earliest first. */
  due(now: Date, limit: number): Promise<Cron[]>;
  /**
   * Claims one firing: moves next_run_date from `seen` to `next` only if it still is `seen` and the
   * cron is enabled. One conditional UPDATE, so among any number of schedulers sharing the
   * database exactly one wins each due time.
   */
  claim(cronId: string, seen: string, next: string | null): Promise<boolean>;
  /** The earliest next_run_date of an enabled cron, for the scheduler's wake-up timer. */
  nextDue(): Promise<Date | undefined>;
  /** Called after a create, update or delete commits (the scheduler re-arms its timer); returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}
