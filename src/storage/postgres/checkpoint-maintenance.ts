/**
 * CheckpointMaintenance on PostgresSaver's own tables (see the library's migrations): `checkpoints`
 * (metadata jsonb; channel versions in the checkpoint jsonb), `checkpoint_blobs` (channel values
 * by thread, namespace, channel and version) and `checkpoint_writes`.
 */
import type { CheckpointMaintenance } from "../backend.js";
import type { HookgraphPostgresSaver } from "./checkpointer.js";
import { transaction, type PgClient, type PgPool } from "./database.js";

/**
 * Removes the thread's blobs that no checkpoint references any more (a checkpoint references the
 * version of each channel in its `channel_versions`, which is how the saver loads them). Nothing
 * would read them again; and were a later write to reuse one of their versions, the saver's
 * ON CONFLICT DO NOTHING would keep the old value in place of the new (the versions
 * HookgraphPostgresSaver makes are unique, the library's plain counters are not).
 */
async function deleteUnreferencedBlobs(client: PgClient, threadId: string): Promise<void> {
  await client.query(
    `WITH referenced AS MATERIALIZED (
       SELECT DISTINCT c.checkpoint_ns, v.key AS channel, v.value AS version
       FROM checkpoints c CROSS JOIN LATERAL jsonb_each_text(c.checkpoint -> 'channel_versions') v
       WHERE c.thread_id = $1
     )
     DELETE FROM checkpoint_blobs b WHERE b.thread_id = $1 AND NOT EXISTS (
       SELECT 1 FROM referenced r WHERE r.checkpoint_ns = b.checkpoint_ns AND r.channel = b.channel AND r.version = b.version)`,
    [threadId],
  );
}

/** Writes whose checkpoint is gone (the saver never reads them again). */
async function deleteOrphanWrites(client: PgClient, threadId: string): Promise<void> {
  await client.query(
    `DELETE FROM checkpoint_writes w WHERE w.thread_id = $1 AND NOT EXISTS (
       SELECT 1 FROM checkpoints c WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = w.checkpoint_ns AND c.checkpoint_id = w.checkpoint_id)`,
    [threadId],
  );
}

export class PostgresCheckpointMaintenance implements CheckpointMaintenance {
  private readonly pool: PgPool;

  constructor(private readonly saver: HookgraphPostgresSaver) {
    this.pool = saver.connections;
  }

  async copyThread(fromThreadId: string, toThreadId: string): Promise<void> {
    await transaction(this.pool, async (client) => {
      const args = [fromThreadId, toThreadId];
      await client.query(
        `INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
         SELECT $2, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
           CASE WHEN metadata ? 'thread_id' THEN jsonb_set(metadata, '{thread_id}', to_jsonb($2::text)) ELSE metadata END
         FROM checkpoints WHERE thread_id = $1
         ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
           parent_checkpoint_id = EXCLUDED.parent_checkpoint_id, type = EXCLUDED.type,
           checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata`,
        args,
      );
      await client.query(
        `INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
         SELECT $2, checkpoint_ns, channel, version, type, blob FROM checkpoint_blobs WHERE thread_id = $1
         ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO UPDATE SET type = EXCLUDED.type, blob = EXCLUDED.blob`,
        args,
      );
      await client.query(
        `INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob)
         SELECT $2, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob FROM checkpoint_writes WHERE thread_id = $1
         ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET
           channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob`,
        args,
      );
    });
  }

  /**
   * Writes the run made against an older checkpoint (e.g. a resume value) stay: the saver does not
   * record which run made a write.
   */
  async rollbackRun(threadId: string, runId: string): Promise<number> {
    return transaction(this.pool, async (client) => {
      const { rowCount } = await client.query(
        `WITH removed AS (
           DELETE FROM checkpoints WHERE thread_id = $1 AND metadata ->> 'run_id' = $2 RETURNING checkpoint_ns, checkpoint_id
         ), writes AS (
           DELETE FROM checkpoint_writes w USING removed r
           WHERE w.thread_id = $1 AND w.checkpoint_ns = r.checkpoint_ns AND w.checkpoint_id = r.checkpoint_id
         )
         SELECT 1 FROM removed`,
        [threadId, runId],
      );
      const removed = rowCount ?? 0;
      if (removed > 0) await deleteUnreferencedBlobs(client, threadId);
      return removed;
    });
  }

  /**
   * Keeps the latest checkpoint of every namespace (the one the saver loads), its writes and the
   * blobs it references, as the official savers' "keep_latest" prune does: a subgraph interrupted
   * under the latest root checkpoint keeps the state it resumes from. The kept ones lose their
   * parent, which is gone.
   */
  async keepLatest(threadId: string): Promise<void> {
    await transaction(this.pool, async (client) => {
      await client.query(
        `DELETE FROM checkpoints c WHERE c.thread_id = $1 AND c.checkpoint_id <> (
           SELECT max(latest.checkpoint_id) FROM checkpoints latest
           WHERE latest.thread_id = c.thread_id AND latest.checkpoint_ns = c.checkpoint_ns)`,
        [threadId],
      );
      await deleteOrphanWrites(client, threadId);
      await deleteUnreferencedBlobs(client, threadId);
      await client.query("UPDATE checkpoints SET parent_checkpoint_id = NULL WHERE thread_id = $1 AND parent_checkpoint_id IS NOT NULL", [threadId]);
    });
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.saver.deleteThread(threadId);
  }
}
