import type { GraphRegistry } from "../runtime/graph-loader.js";
import { executeRun } from "../runtime/execute.js";
import { deleteThreadCheckpoints, rollbackRunCheckpoints } from "../runtime/state.js";
import { toJson } from "../runtime/serialize.js";
import type { HookgraphSqliteSaver } from "../runtime/checkpointer.js";
import type { ApiCommand, CheckpointSelector, RunConfig } from "../runtime/types.js";
import type { ExecutionOutcome, RunExecutor } from "../queue/executor.js";
import type { Json, JsonObject, QueuedRun } from "../storage/types.js";

/** Executes queued runs with the runtime: the run's stored kwargs become the runtime's request. */
export class GraphExecutor implements RunExecutor {
  private running = 0;

  constructor(
    private readonly registry: GraphRegistry,
    private readonly saver: HookgraphSqliteSaver,
  ) {}

  /** Runs executing on this thread now. */
  executing(): number {
    return this.running;
  }

  async execute(run: QueuedRun, emit: (event: string, data: unknown) => void, signal: AbortSignal): Promise<ExecutionOutcome> {
    this.running += 1;
    try {
      return await this.executeRun(run, emit, signal);
    } finally {
      this.running -= 1;
    }
  }

  private async executeRun(run: QueuedRun, emit: (event: string, data: unknown) => void, signal: AbortSignal): Promise<ExecutionOutcome> {
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
        attempt: run.attempt,
        metadata: run.metadata,
      },
      emit,
      signal,
    );
    return { interrupted: outcome.status === "interrupted", values: outcome.values, interrupts: outcome.interrupts as unknown as JsonObject };
  }

  async rollback(threadId: string, runId: string): Promise<void> {
    rollbackRunCheckpoints(this.saver, threadId, runId);
  }

  async deleteThread(threadId: string): Promise<void> {
    await deleteThreadCheckpoints(this.saver, threadId);
  }

  async latestState(run: QueuedRun): Promise<{ values: Json | null }> {
    const config = run.kwargs.config as RunConfig;
    const graph = await this.registry.get(String(config.configurable?.graph_id), { configurable: config.configurable ?? {} });
    const snapshot = await graph.getState({ configurable: { thread_id: run.thread_id } });
    return { values: toJson(snapshot.values) as Json | null };
  }
}
