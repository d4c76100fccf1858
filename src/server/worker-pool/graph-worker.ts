/**
 * A graph worker thread: loads the project's graphs with its own connections to the checkpoint and
 * store databases, executes the runs the main thread hands it, and streams their events back.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { openCheckpointer } from "../../runtime/checkpointer.js";
import { databasePath } from "../../storage/sqlite/database.js";
import { deferCheckpoints } from "../../storage/sqlite/wal-checkpointer.js";
import { GraphRegistry } from "../../runtime/graph-loader.js";
import { applyEnvChanges } from "../../config/project-env.js";
import { SqliteStore } from "../../runtime/store.js";
import { GraphExecutor } from "../graph-executor.js";
import type { FromWorker, ToWorker, WorkerSetup } from "./protocol.js";
import { speedUpThreadGlobals } from "./thread-globals.js";
import { EventBatcher } from "./event-batcher.js";

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);
const setup = workerData as WorkerSetup;
const running = new Map<string, AbortController>();
const events = new EventBatcher((batch) => post({ type: "events", events: batch }));

async function main(): Promise<void> {
  speedUpThreadGlobals();
  const saver = openCheckpointer(setup.dataDir);
  const storeDb = new Database(databasePath(setup.dataDir));
  storeDb.pragma("busy_timeout = 5000");
  deferCheckpoints(storeDb);
  const registry = await GraphRegistry.load(setup.graphs, { checkpointer: saver, store: new SqliteStore(storeDb) });
  const executor = new GraphExecutor(registry, saver);

  // Messages take effect in order: a run sent after a reload executes on the reloaded code.
  let reloaded: Promise<void> = Promise.resolve();
  port.on("message", (message: ToWorker) => {
    if (message.type === "abort") {
      running.get(message.runId)?.abort();
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
    const controller = new AbortController();
    running.set(run.run_id, controller);
    const emit = (event: string, data: unknown) => events.add([run.run_id, event, data]);
    reloaded
      .then(() => executor.execute(run, emit, controller.signal))
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
