/**
 * Plain-JSON types shared by the runtime and its callers (run queue, HTTP routes). Everything here
 * survives `structuredClone`/`JSON.stringify`, so execution can later move into worker threads.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The stream modes of the HTTP API (`stream_mode`). */
export type ApiStreamMode =
  | "values"
  | "updates"
  | "messages"
  | "messages-tuple"
  | "events"
  | "debug"
  | "custom"
  | "tasks"
  | "checkpoints";

/** `{thread_id, checkpoint_ns, checkpoint_id, checkpoint_map}` as the API shows it. */
export interface CheckpointRef {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string | null;
  checkpoint_map: Record<string, string> | null;
}

/** The request body's `checkpoint` object (`CheckpointConfig`); every field optional (a `CheckpointRef` fits). */
export interface CheckpointSelector {
  thread_id?: string | null;
  checkpoint_ns?: string | null;
  checkpoint_id?: string | null;
  checkpoint_map?: Record<string, string> | null;
}

/** An interrupt as the Python server serialises it. */
export interface InterruptJson {
  value: Json;
  id: string;
}

export interface ApiSend {
  node: string;
  input: unknown;
}

/** The API `Command` body. */
export interface ApiCommand {
  resume?: unknown;
  update?: Record<string, unknown> | Array<[string, unknown]> | null;
  goto?: string | string[] | ApiSend | ApiSend[] | null;
}

/** The run's config after the assistant config was merged with the run's config (snake_case, as on the wire). */
export interface RunConfig {
  configurable?: Record<string, unknown>;
  tags?: string[];
  recursion_limit?: number;
  metadata?: Record<string, unknown>;
  run_name?: string;
  max_concurrency?: number;
  [key: string]: unknown;
}

export interface RunRequest {
  runId: string;
  threadId: string;
  assistantId: string;
  graphId: string;
  input?: unknown;
  command?: ApiCommand | null;
  config: RunConfig;
  context?: Record<string, unknown> | null;
  streamMode: string[];
  streamSubgraphs: boolean;
  interruptBefore?: string[] | "*";
  interruptAfter?: string[] | "*";
  /** Start from this checkpoint (`checkpoint_id` of the request), or the `checkpoint` object. */
  checkpointId?: string;
  checkpoint?: CheckpointSelector | null;
  durability?: "sync" | "async" | "exit";
  /** 1 for the first execution; >1 when a worker re-runs a run whose earlier attempt died. */
  attempt: number;
  /** An earlier execution of this run stopped part-way (its process died or handed it back): continue from its checkpoints. */
  resumed: boolean;
  /** Run metadata (and assistant metadata), added to the graph's config metadata and checkpoints. */
  metadata?: Record<string, unknown>;
  /**
   * Checkpoints nobody will read: kept in memory for this execution only (a stateless run whose
   * thread is deleted when it ends, checkpointing at exit), not written to the database.
   */
  ephemeral?: boolean;
}

export type EmitFn = (event: string, data: unknown) => void;

export interface RunOutcome {
  /** "interrupted": the graph paused (interrupt() or interrupt_before/after); the run itself succeeded. */
  status: "success" | "interrupted";
  /** Final state values as plain JSON (null when the graph kept no state). */
  values: Json | null;
  /** Pending interrupts by task id, the shape of `Thread.interrupts`. Empty when none. */
  interrupts: Record<string, InterruptJson[]>;
}

export interface ThreadTaskJson {
  id: string;
  name: string;
  path: Json[] | null;
  error: string | null;
  interrupts: InterruptJson[];
  checkpoint: CheckpointRef | null;
  state: ThreadStateJson | null;
  result: Json | null;
}

export interface ThreadStateJson {
  values: Json;
  next: string[];
  tasks: ThreadTaskJson[];
  checkpoint: CheckpointRef | null;
  metadata: JsonObject;
  created_at: string | null;
  parent_checkpoint: CheckpointRef | null;
  interrupts: InterruptJson[];
}
