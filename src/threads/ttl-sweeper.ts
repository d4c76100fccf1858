import type { FastifyBaseLogger } from "fastify";
import { deleteThreadEverywhere, type ThreadDeletionDeps } from "./delete-thread.js";

const SWEEP_INTERVAL_MS = 60_000;
const BATCH = 100;

/**
 * Deletes threads past their ttl: once before the server opens, then every minute (as the
 * official server sweeps). Resolves with the function that stops it.
 */
export async function startTtlSweeper(deps: ThreadDeletionDeps, logger: FastifyBaseLogger): Promise<() => void> {
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      let expired: string[];
      do {
        expired = await deps.storage.threads.expired(new Date(), BATCH);
        for (const threadId of expired) await deleteThreadEverywhere(deps, threadId);
      } while (expired.length === BATCH);
    } catch (error) {
      logger.error({ err: error }, "deleting expired threads failed");
    } finally {
      sweeping = false;
    }
  };
  await sweep();
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS).unref();
  return () => clearInterval(timer);
}
