import type { Storage } from "../storage/storage.js";
import type { RunWorker } from "../queue/run-worker.js";
import type { ThreadStates } from "../http/context.js";

export interface ThreadDeletionDeps {
  storage: Storage;
  worker: RunWorker;
  states: Pick<ThreadStates, "delete">;
}

/**
 * Deletes a thread with everything hanging off it: its runs (active ones are cancelled first and
 * waited for, so none writes a checkpoint afterwards), its row and its checkpoints.
 */
export async function deleteThreadEverywhere(deps: ThreadDeletionDeps, threadId: string): Promise<boolean> {
  for (const runId of await deps.storage.runs.findActive({ thread_id: threadId, status: "all" })) {
    const ended = deps.worker.isActive(runId) ? deps.worker.completion(runId) : undefined;
    await deps.worker.cancel(runId, "interrupt");
    await ended;
  }
  const deleted = await deps.storage.threads.delete(threadId);
  await deps.states.delete(threadId);
  return deleted;
}
