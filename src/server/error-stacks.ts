import type { RunExecutor } from "../queue/executor.js";
import { RecentItems } from "../recent-items.js";

/**
 * The stacks of the errors graphs raised, by run, for the dashboard's run detail: where the
 * user's code threw (TypeScript lines, as tsx maps them). Never for the API or webhooks, whose
 * errors stay `{error, message}` as on the official servers. Held in memory within bounds; the
 * log keeps every one ("run failed").
 */
export class ErrorStacks {
  private readonly stacks = new RecentItems<string, string>({ maxAgeMs: 24 * 3600_000, maxCount: 1_000, maxWeight: 8 << 20 });

  get(runId: string): string | undefined {
    return this.stacks.get(runId);
  }

  /** The executor, keeping the stack of each execution that fails by itself (not cancelled, not timed out). */
  keeping(executor: RunExecutor): RunExecutor {
    return {
      execute: (run, emit, signal, drain) =>
        executor.execute(run, emit, signal, drain).catch((error: unknown) => {
          if (!signal.aborted && error instanceof Error && error.stack) this.stacks.add(run.run_id, error.stack, error.stack.length);
          throw error;
        }),
      rollback: (threadId, runId) => executor.rollback(threadId, runId),
      deleteRunThread: (run) => executor.deleteRunThread(run),
      latestState: (run) => executor.latestState(run),
    };
  }
}
