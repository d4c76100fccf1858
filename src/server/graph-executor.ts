import type { ClaimedRun } from "../storage/storage.js";
import type { GraphRegistry } from "../runtime/graph-loader.js";
import { executeRun } from "../runtime/execute.js";
import { toJson } from "../runtime/serialize.js";
import type { ApiCommand, CheckpointSelector, RunConfig } from "../runtime/types.js";
import type { ExecutionOutcome, RunExecutor } from "../queue/executor.js";
import type { Json, JsonObject, QueuedRun } from "../storage/types.js";
import type { CheckpointMaintenance } from "../storage/backend.js";

/**
 * A stateless run whose thread is deleted when it ends, checkpointing only at exit: nobody can
 * read its checkpoints, and a crash restarts it from its input anyway, so they stay in memory.
 * (Asked for `sync` or `async` durability, a crash resumes it from its last step: those are written.)
 */
export function isThrowaway(run: ClaimedRun): boolean {
  return run.stateless && run.on_completion === "delete" && run.kwargs.durability === "exit";
}

/** Executes queued runs with the runtime: the run's stored kwargs become the runtime's request. */
export class GraphExecutor implements RunExecutor {
  constructor(
    private readonly registry: GraphRegistry,
    private readonly checkpoints: CheckpointMaintenance,
  ) {}

  async execute(run: ClaimedRun, emit: (event: string, data: unknown) => void, signal: AbortSignal, drain?: AbortSignal): Promise<ExecutionOutcome> {
    const kwargs = run.kwargs;
    const config = kwargs.config as RunConfig;
    const outcome = await executeRun(
      this.registry,
      {
        runId: run.run_id,
        threadId: run.thread_id,
        assistantId: run.assistant_id,
        graphId: String(config.configurable?.graph_id),
        input: kwargs.input,
        command: (kwargs.command as ApiCommand | null) ?? null,
        config,
        context: (kwargs.context as JsonObject | null) ?? null,
        streamMode: kwargs.stream_mode as string[],
        streamSubgraphs: kwargs.subgraphs === true,
        interruptBefore: (kwargs.interrupt_before as string[] | "*" | null) ?? undefined,
        interruptAfter: (kwargs.interrupt_after as string[] | "*" | null) ?? undefined,
        checkpointId: (kwargs.checkpoint_id as string | null) ?? undefined,
        checkpoint: (kwargs.checkpoint as CheckpointSelector | null) ?? null,
        durability: (kwargs.durability as "sync" | "async" | "exit" | undefined) ?? undefined,
        ephemeral: isThrowaway(run),
        attempt: run.attempt,
        resumed: run.resumed,
        metadata: run.metadata,
      },
      emit,
      signal,
      drain,
    );
    return { interrupted: outcome.status === "interrupted", values: outcome.values, interrupts: outcome.interrupts as unknown as JsonObject };
  }

  async rollback(threadId: string, runId: string): Promise<void> {
    await this.checkpoints.rollbackRun(threadId, runId);
  }

  async deleteRunThread(run: ClaimedRun): Promise<void> {
    // A throwaway run wrote none.
    if (!isThrowaway(run)) await this.checkpoints.deleteThread(run.thread_id);
  }

  async latestState(run: QueuedRun): Promise<{ values: Json | null }> {
    const config = run.kwargs.config as RunConfig;
    const graph = await this.registry.get(String(config.configurable?.graph_id), { configurable: config.configurable ?? {} });
    const snapshot = await graph.getState({ configurable: { thread_id: run.thread_id } });
    return { values: toJson(snapshot.values) as Json | null };
  }
}
