/**
 * Run stream writes (open, publish, end), batched: queued in call order and sent as one script
 * call per turn of the event loop. Hundreds of runs a second with a few events each then cost
 * a few commands a turn, not one (and a promise, a Redis script call) per event.
 */

import { randomBytes } from "node:crypto";
import type { Script } from "./scripts.js";

/** A batch is sent early past this many operations or characters, so that no script call blocks Redis long. */
const MAX_BATCH_OPS = 500;
const MAX_BATCH_CHARS = 1024 * 1024;

export class StreamWriter {
  /** Names this writer's batches, numbered in order, so that Redis applies each one once. */
  private readonly id = randomBytes(8).toString("hex");
  private batches = 0;
  private ops: string[] = [];
  private count = 0;
  private chars = 0;
  private scheduled = false;
  private readonly flushSoon = () => {
    this.scheduled = false;
    this.flush();
  };

  /**
   * @param settings the script's leading arguments (limits), the same for every batch
   * @param onError what a failed batch becomes: its writes are lost (fire-and-forget)
   */
  constructor(
    private readonly script: Script,
    private readonly settings: readonly (string | number)[],
    private readonly onError: (error: unknown) => void,
  ) {}

  open(runId: string, threadId: string): void {
    this.add(0, "o", runId, threadId);
  }

  publish(runId: string, threadId: string, event: string, data: string): void {
    this.add(event.length + data.length, "p", runId, threadId, event, data);
  }

  end(runId: string, threadId: string): void {
    this.add(0, "e", runId, threadId);
  }

  /** Sends what is queued now. Reads call it first, so that they see this process's earlier writes. */
  flush(): void {
    if (this.count === 0) return;
    const ops = this.ops;
    this.ops = [];
    this.count = 0;
    this.chars = 0;
    this.batches += 1;
    this.script(this.id, this.batches, ...this.settings, ...ops).catch(this.onError);
  }

  private add(chars: number, ...op: string[]): void {
    this.ops.push(...op);
    this.count += 1;
    this.chars += chars;
    if (this.count >= MAX_BATCH_OPS || this.chars >= MAX_BATCH_CHARS) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
  }
}
