/**
 * Where a process keeps its state, and the ports the runtime uses on it. The composition root
 * opens them from a `DatabaseLocation`; graph worker threads open their own from the same
 * (serialisable) location. Nothing outside `storage/` knows which database is behind them.
 */
import type { BaseCheckpointSaver, BaseStore, Item, SearchItem } from "@langchain/langgraph-checkpoint";

/** A database as configuration names it: plain data, so it crosses to worker threads. */
export type DatabaseLocation =
  | { kind: "sqlite"; dataDir: string }
  | {
      kind: "postgres";
      /** `postgres://user@host:port/db` (DATABASE_URI). */
      uri: string;
      /** Connections this pool may open (each process and each graph worker thread has its own pool). */
      poolSize?: number;
    };

/** Maintenance of a thread's checkpoints that the saver's own interface does not offer. */
export interface CheckpointMaintenance {
  /** Copies every checkpoint and pending write of a thread to another thread id (`POST /threads/{id}/copy`). */
  copyThread(fromThreadId: string, toThreadId: string): Promise<void>;
  /**
   * Removes the checkpoints a run wrote (found by `run_id` in their metadata) and their writes, so
   * the thread returns to its state before the run (cancel / multitask "rollback"). Answers how many.
   */
  rollbackRun(threadId: string, runId: string): Promise<number>;
  /**
   * Removes every checkpoint of the thread but the latest of each namespace, with their writes
   * (`threads.prune` "keep_latest", as the official savers' prune): the root namespace keeps only
   * its latest, and a subgraph interrupted under it keeps the state it resumes from.
   */
  keepLatest(threadId: string): Promise<void>;
  deleteThread(threadId: string): Promise<void>;
}

export interface StorePutOptions {
  /** Minutes until the item expires; null/undefined: never. */
  ttl?: number | null;
}

export interface StoreReadOptions {
  /** Restart the TTL of items read (default true, as the official server's `refresh_ttl`). */
  refreshTtl?: boolean;
}

/**
 * The long-term memory store graphs and the `/store` API use, with TTLs. A bad namespace is an
 * InvalidNamespaceError, a bad key, value, filter or TTL a StoreRequestError (both client errors).
 */
export interface HookgraphStore extends BaseStore {
  get(namespace: string[], key: string, options?: StoreReadOptions): Promise<Item | null>;
  search(
    namespacePrefix: string[],
    options?: { filter?: Record<string, unknown>; limit?: number; offset?: number; query?: string } & StoreReadOptions,
  ): Promise<SearchItem[]>;
  put(namespace: string[], key: string, value: Record<string, unknown>, index?: false | string[], options?: StorePutOptions): Promise<void>;
  /** Deletes expired items; answers how many. Reads already hide them: this frees space. */
  sweepExpired(): Promise<number>;
}

/** What graphs run on: the checkpointer (official saver of the dialect), its maintenance, the store. */
export interface GraphPersistence {
  checkpointer: BaseCheckpointSaver;
  checkpoints: CheckpointMaintenance;
  store: HookgraphStore;
  close(): Promise<void>;
}
