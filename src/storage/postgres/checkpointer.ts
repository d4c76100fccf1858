import type { RunnableConfig } from "@langchain/core/runnables";
import type { ChannelVersions, Checkpoint, CheckpointMetadata, SerializerProtocol } from "@langchain/langgraph-checkpoint";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { runCheckpointMetadata } from "../../runtime/checkpoint-metadata.js";
import { withMigrationLock, type PgPool } from "./database.js";

/**
 * The official PostgresSaver, recording the run's metadata with each checkpoint (see
 * `runCheckpointMetadata`), on a pool it shares (it never ends it).
 */
export class HookgraphPostgresSaver extends PostgresSaver {
  constructor(
    /** The pool it runs on (the library keeps its own reference private). */
    readonly connections: PgPool,
    serde?: SerializerProtocol,
  ) {
    super(connections, serde);
  }

  override async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    return super.put(config, checkpoint, runCheckpointMetadata(config, metadata), newVersions);
  }

  /**
   * Channel versions unique to each write, `<counter, 32 digits>.<16 random digits>`, as the Python
   * PostgresSaver makes them. The saver keeps channel values by version and writes them ON CONFLICT
   * DO NOTHING: with the library's plain counters, a fork from an older checkpoint (or a run after a
   * rollback) reuses the versions of the branch it left, and reads that branch's values instead of
   * its own. LangGraph compares string versions as well as numbers; the library's type says number.
   */
  override getNextVersion(current: number | undefined): number {
    const counter = typeof current === "string" ? Number.parseInt(current, 10) : (current ?? 0);
    const random = Math.random().toFixed(16).slice(2);
    return `${String(counter + 1).padStart(32, "0")}.${random}` as unknown as number;
  }

  /**
   * Creates or upgrades the saver's tables. The library's setup takes no lock: processes starting
   * together would race on CREATE TABLE and on its version rows. Under the migration lock they
   * take turns, and each finds the tables of the one before. The setup runs on a second connection
   * of the pool while the lock holds one, so the pool needs two.
   */
  override async setup(): Promise<void> {
    await withMigrationLock(this.connections, () => super.setup());
  }
}
