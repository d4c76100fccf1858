import type { ClaimedRun } from "../../storage/storage.js";
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyBaseLogger } from "fastify";
import type { ExecutionOutcome, RunExecutor } from "../../queue/executor.js";
import type { QueuedRun } from "../../storage/types.js";
import type { GraphSpec } from "../../config/langgraph-json.js";
import type { EnvChanges } from "../../config/project-env.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./protocol.js";

/** How long a closing worker may take to close its connections before it is terminated. */
const CLOSE_GRACE_MS = 2_000;

interface PendingRun {
  emit: (event: string, data: unknown) => void;
  resolve: (outcome: ExecutionOutcome) => void;
  reject: (error: Error) => void;
}

/** What stays on the main thread: operations on a thread's checkpoints outside an execution. */
type LocalOperations = Omit<RunExecutor, "execute">;

interface GraphWorker {
  worker: Worker;
  pending: Map<string, PendingRun>;
  /** Reloads sent and not answered yet, by id. */
  reloads: Map<number, { resolve: () => void; reject: (error: Error) => void }>;
}

/**
 * Compiled, the worker is plain JS beside this file. Run from the TypeScript sources (tests), it
 * is TypeScript: a worker's own `--import` flag does not apply to its entry module, so a small
 * bootstrap registers tsx in the worker first.
 */
function startWorker(workerData: WorkerSetup): Worker {
  const js = new URL("./graph-worker.js", import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL("./graph-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * Executes runs on graph worker threads so that graph execution (CPU-bound) uses every core while
 * the main thread serves HTTP and storage. A run goes to the least busy worker; a worker that dies
 * fails its runs with an error and is replaced. Operations outside an execution (rollback, thread
 * deletion, reading the latest state) stay on the main thread's executor.
 */
export class WorkerPoolExecutor implements RunExecutor {
  /** Workers ready for runs. */
  private readonly workers: GraphWorker[] = [];
  /** Every live worker, ready or still loading, so that close() ends them all and a reload reaches each. */
  private readonly live = new Set<GraphWorker>();
  private closing = false;
  private reloadId = 0;

  private constructor(
    private setup: WorkerSetup,
    private readonly local: LocalOperations,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /**
   * Spawns the workers without waiting for them: a worker needs a second or more to load the
   * graphs, and the server can accept runs meanwhile (they start when the first worker is ready).
   */
  static start(setup: WorkerSetup, size: number, local: LocalOperations, logger: FastifyBaseLogger): WorkerPoolExecutor {
    const pool = new WorkerPoolExecutor(setup, local, logger);
    const spawned = Array.from({ length: size }, () => pool.spawn());
    pool.firstReady = Promise.any(spawned).catch((error: AggregateError) => {
      throw new Error(`no graph worker could start: ${(error.errors[0] as Error).message}`);
    });
    // Failures are reported to the runs that wait for a worker; this keeps them from being unhandled.
    // Workers ended by close() while loading (the server failed to start, e.g. its port was taken) are no failure.
    pool.firstReady.catch((error) => {
      if (!pool.closing) logger.error({ err: error }, "graph workers failed to start");
    });
    return pool;
  }

  private firstReady: Promise<void> = Promise.resolve();

  private spawn(): Promise<void> {
    const worker = startWorker(this.setup);
    const graphWorker: GraphWorker = { worker, pending: new Map(), reloads: new Map() };
    this.live.add(graphWorker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on("message", (message: FromWorker) => {
        if (message.type === "ready") {
          ready = true;
          this.workers.push(graphWorker);
          resolve();
        } else if (message.type === "setup-failed") {
          reject(new Error(`graph worker failed to start: ${message.message}`));
        } else {
          this.onRunMessage(graphWorker, message);
        }
      });
      worker.on("error", (error) => {
        if (!ready) reject(error);
        this.logger.error({ err: error }, "graph worker crashed");
      });
      worker.on("exit", (code) => {
        this.live.delete(graphWorker);
        // Its replacement loads the current graphs: nothing is left to reload here.
        for (const reload of graphWorker.reloads.values()) reload.resolve();
        graphWorker.reloads.clear();
        const index = this.workers.indexOf(graphWorker);
        if (index !== -1) this.workers.splice(index, 1);
        for (const [runId, run] of graphWorker.pending) {
          run.reject(Object.assign(new Error(`the graph worker executing run ${runId} exited (code ${code})`), { name: "WorkerExited" }));
        }
        graphWorker.pending.clear();
        if (!ready) reject(new Error(`graph worker exited during start-up (code ${code})`));
        else if (!this.closing) {
          this.spawn().catch((error) => {
            if (!this.closing) this.logger.error({ err: error }, "replacing a graph worker failed");
          });
        }
      });
    });
  }

  private onRunMessage(graphWorker: GraphWorker, message: Exclude<FromWorker, { type: "ready" } | { type: "setup-failed" }>): void {
    if (message.type === "events") {
      for (const [runId, event, data] of message.events) graphWorker.pending.get(runId)?.emit(event, data);
      return;
    }
    if (message.type === "reloaded" || message.type === "reload-failed") {
      const reload = graphWorker.reloads.get(message.id);
      graphWorker.reloads.delete(message.id);
      if (message.type === "reloaded") reload?.resolve();
      else reload?.reject(new Error(message.message));
      return;
    }
    const run = graphWorker.pending.get(message.runId);
    if (!run) return;
    switch (message.type) {
      case "done":
        graphWorker.pending.delete(message.runId);
        run.resolve({ interrupted: message.interrupted, values: message.values, interrupts: message.interrupts });
        return;
      case "failed":
        graphWorker.pending.delete(message.runId);
        // The worker's stack, not one of this thread: it shows where the graph threw.
        run.reject(Object.assign(new Error(message.message), { name: message.name }, message.stack ? { stack: message.stack } : {}));
    }
  }

  async execute(run: ClaimedRun, emit: (event: string, data: unknown) => void, signal: AbortSignal, drain?: AbortSignal): Promise<ExecutionOutcome> {
    if (this.workers.length === 0) await this.firstReady;
    const target = this.workers.reduce<GraphWorker | undefined>(
      (best, candidate) => (!best || candidate.pending.size < best.pending.size ? candidate : best),
      undefined,
    );
    if (!target) return Promise.reject(new Error("no graph worker is running"));
    return new Promise((resolve, reject) => {
      target.pending.set(run.run_id, { emit, resolve, reject });
      const send = (message: ToWorker) => target.worker.postMessage(message);
      signal.addEventListener("abort", () => send({ type: "abort", runId: run.run_id }), { once: true });
      drain?.addEventListener("abort", () => send({ type: "drain", runId: run.run_id }), { once: true });
      send({ type: "execute", run });
    });
  }

  /**
   * Dev reload: every worker loads the project's code afresh, in order with the runs sent to it
   * (one sent after this executes on the new code); runs executing keep theirs. Workers started
   * later load `graphs` (and inherit this thread's environment, already changed by the caller).
   * Rejects with a worker's load error.
   */
  async reload(graphs: GraphSpec[], env: EnvChanges): Promise<void> {
    this.setup = { ...this.setup, graphs };
    const id = ++this.reloadId;
    const message: ToWorker = { type: "reload", id, graphs, env };
    const results = await Promise.allSettled(
      [...this.live].map(
        (graphWorker) =>
          new Promise<void>((resolve, reject) => {
            graphWorker.reloads.set(id, { resolve, reject });
            graphWorker.worker.postMessage(message);
          }),
      ),
    );
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  rollback(threadId: string, runId: string): Promise<void> {
    return this.local.rollback(threadId, runId);
  }

  deleteRunThread(run: ClaimedRun): Promise<void> {
    return this.local.deleteRunThread(run);
  }

  latestState(run: QueuedRun): ReturnType<RunExecutor["latestState"]> {
    return this.local.latestState(run);
  }

  /**
   * Asks every worker to close its connections and exit; one that has not within CLOSE_GRACE_MS
   * (still loading graphs, or stuck in graph code) is terminated.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.live].map(
        ({ worker }) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
            worker.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            worker.postMessage({ type: "close" } satisfies ToWorker);
          }),
      ),
    );
  }
}
