/**
 * A graph worker thread: loads the project's graphs on a graph persistence of its own (its own
 * connections to the checkpoints and the store), executes the runs the main thread hands it, and
 * streams their events back.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openGraphPersistence } from "../../storage/persistence.js";
import type { GraphPersistence } from "../../storage/backend.js";
import { GraphRegistry } from "../../runtime/graph-loader.js";
import { applyEnvChanges } from "../../config/project-env.js";
import { GraphExecutor } from "../graph-executor.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./protocol.js";
import { speedUpThreadGlobals } from "./thread-globals.js";
import { EventBatcher } from "./event-batcher.js";

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const setup = workerData as WorkerSetup;
/** Per run: its abort (cancel, timeout) and its drain (stop at the next step boundary). */
const running = new Map<string, { abort: AbortController; drain: AbortController }>();
const events = new EventBatcher((batch) => post({ type: "events", events: batch }));

/** Ends the thread once its connections are closed (graph code may leave timers that would keep it alive). */
async function closeAndExit(persistence: GraphPersistence): Promise<never> {
  for (const controllers of running.values()) controllers.abort.abort();
  try {
    await persistence.close();
  } finally {
    process.exit(0);
  }
}

async function main(): Promise<void> {
  speedUpThreadGlobals();
  const persistence = await openGraphPersistence(setup.database);
  let registry: GraphRegistry;
  try {
    registry = await GraphRegistry.load(setup.graphs, { checkpointer: persistence.checkpointer, store: persistence.store });
  } catch (error) {
    await persistence.close();
    throw error;
  }
  const executor = new GraphExecutor(registry, persistence.checkpoints);

  // Messages take effect in order: a run sent after a reload executes on the reloaded code.
  let reloaded: Promise<void> = Promise.resolve();
  port.on("message", (message: ToWorker) => {
    if (message.type === "close") {
      void closeAndExit(persistence);
      return;
    }
    if (message.type === "abort" || message.type === "drain") {
      running.get(message.runId)?.[message.type].abort();
      return;
    }
    if (message.type === "reload") {
      reloaded = reloaded.then(async () => {
        applyEnvChanges(message.env);
        try {
          await registry.reload(message.graphs);
          post({ type: "reloaded", id: message.id });
        } catch (error) {
          post({ type: "reload-failed", id: message.id, message: error instanceof Error ? error.message : String(error) });
        }
      });
      return;
    }
    const { run } = message;
    const controllers = { abort: new AbortController(), drain: new AbortController() };
    const controller = controllers.abort;
    running.set(run.run_id, controllers);
    const emit = (event: string, data: unknown) => events.add([run.run_id, event, data]);
    reloaded
      .then(() => executor.execute(run, emit, controller.signal, controllers.drain.signal))
      .then(
        (outcome) => {
          events.flush();
          post({ type: "done", runId: run.run_id, ...outcome } as FromWorker);
        },
        (error: unknown) => {
          events.flush();
          const err = error instanceof Error ? error : new Error(String(error));
          post({ type: "failed", runId: run.run_id, name: err.name, message: err.message, stack: err.stack, aborted: controller.signal.aborted });
        },
      )
      .finally(() => running.delete(run.run_id));
  });
  post({ type: "ready" });
}

main().catch((error: unknown) => post({ type: "setup-failed", message: error instanceof Error ? error.message : String(error) }));
