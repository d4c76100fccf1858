import type { Storage } from "../storage/storage.js";
import type { RunControl } from "../queue/run-control.js";
import type { ThreadStates } from "../http/context.js";

export interface ThreadDeletionDeps {
  storage: Storage;
  runs: RunControl;
  states: Pick<ThreadStates, "delete">;
}

/**
 * Deletes a thread with everything hanging off it: its runs (active ones are cancelled first and
 * waited for, so none writes a checkpoint afterwards), its row and its checkpoints.
 */
export async function deleteThreadEverywhere(deps: ThreadDeletionDeps, threadId: string): Promise<boolean> {
  // Pending runs first: ending the running one first would let the next pending one start.
  for (const status of ["pending", "running"] as const) {
    for (const runId of await deps.storage.runs.findActive({ thread_id: threadId, status })) {
      const ended = deps.runs.completion(runId);
      if (await deps.runs.cancel(runId, "interrupt")) await ended;
    }
  }
  const deleted = await deps.storage.threads.delete(threadId);
  await deps.states.delete(threadId);
  return deleted;
}
