import type { FastifyBaseLogger } from "fastify";
import type { HookgraphStore } from "../storage/backend.js";

const SWEEP_INTERVAL_MS = 60_000;

/**
 * Deletes expired store items every `intervalMs` (a minute by default). Reads hide expired items
 * already, so this only frees their space; a failed sweep is logged and the next one tries again.
 * Any number of processes may sweep one database: a delete finds what the others left. Answers the
 * function that stops it, which resolves once a sweep in progress has finished.
 */
export function startStoreSweeper(store: HookgraphStore, logger: FastifyBaseLogger, intervalMs = SWEEP_INTERVAL_MS): () => Promise<void> {
  let sweeping: Promise<void> | undefined;
  const sweep = async () => {
    try {
      const removed = await store.sweepExpired();
      if (removed > 0) logger.debug({ removed }, "deleted expired store items");
    } catch (error) {
      logger.error({ err: error }, "deleting expired store items failed");
    }
  };
  const timer = setInterval(() => {
    sweeping ??= sweep().finally(() => (sweeping = undefined));
  }, intervalMs).unref();
  return async () => {
    clearInterval(timer);
    await sweeping;
  };
}
