/**
 * CheckpointMaintenance on SqliteSaver's own tables: `checkpoints` (channel values inside each
 * checkpoint) and `writes`. Metadata is JSON text in a BLOB column, hence the CASTs.
 */
import type { CheckpointMaintenance } from "../backend.js";
import type { HookgraphSqliteSaver } from "./checkpointer.js";
import { transaction } from "./transaction.js";

const METADATA_TEXT = "CAST(metadata AS TEXT)";
const BY_RUN = `thread_id = ? AND json_valid(${METADATA_TEXT}) AND json_extract(${METADATA_TEXT}, '$.run_id') = ?`;
/** Writes whose checkpoint is gone (the saver never reads them again). */
const ORPHAN_WRITES = `DELETE FROM writes WHERE thread_id = ? AND NOT EXISTS (
  SELECT 1 FROM checkpoints c WHERE c.thread_id = writes.thread_id AND c.checkpoint_ns = writes.checkpoint_ns AND c.checkpoint_id = writes.checkpoint_id)`;

export class SqliteCheckpointMaintenance implements CheckpointMaintenance {
  constructor(private readonly saver: HookgraphSqliteSaver) {
    saver.ensureSetup();
  }

  private get db() {
    return this.saver.db;
  }

  async copyThread(fromThreadId: string, toThreadId: string): Promise<void> {
    transaction(this.db, () => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
           SELECT ?, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
             CASE WHEN type = 'json' AND json_valid(${METADATA_TEXT}) AND json_type(${METADATA_TEXT}, '$.thread_id') IS NOT NULL
                  THEN CAST(json_set(${METADATA_TEXT}, '$.thread_id', ?) AS BLOB) ELSE metadata END
           FROM checkpoints WHERE thread_id = ?`,
        )
        .run(toThreadId, toThreadId, fromThreadId);
      this.db
        .prepare(
          `INSERT OR REPLACE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value)
           SELECT ?, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value FROM writes WHERE thread_id = ?`,
        )
        .run(toThreadId, fromThreadId);
    });
  }

  /**
   * Writes the run made against an older checkpoint (e.g. a resume value) stay: SqliteSaver does
   * not record which run made a write.
   */
  async rollbackRun(threadId: string, runId: string): Promise<number> {
    return transaction(this.db, () => {
      this.db
        .prepare(
          `DELETE FROM writes WHERE thread_id = ? AND (checkpoint_ns, checkpoint_id) IN
             (SELECT checkpoint_ns, checkpoint_id FROM checkpoints WHERE ${BY_RUN})`,
        )
        .run(threadId, threadId, runId);
      return this.db.prepare(`DELETE FROM checkpoints WHERE ${BY_RUN}`).run(threadId, runId).changes;
    });
  }

  /**
   * Keeps the latest checkpoint of every namespace (the one the saver loads), as the official
   * savers' "keep_latest" prune does: a subgraph interrupted under the latest root checkpoint
   * keeps the state it resumes from. The kept ones lose their parent, which is gone.
   */
  async keepLatest(threadId: string): Promise<void> {
    transaction(this.db, () => {
      this.db
        .prepare(
          `DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id <> (
             SELECT max(latest.checkpoint_id) FROM checkpoints latest
             WHERE latest.thread_id = checkpoints.thread_id AND latest.checkpoint_ns = checkpoints.checkpoint_ns)`,
        )
        .run(threadId);
      this.db.prepare(ORPHAN_WRITES).run(threadId);
      this.db.prepare("UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = ? AND parent_checkpoint_id IS NOT NULL").run(threadId);
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.saver.deleteThread(threadId);
  }
}
