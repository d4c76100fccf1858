import type { RunEnd } from "./executor.js";

/**
 * How runs that ended here recently ended, for `join` and `cancel?wait` calls that arrive just
 * after the end. Bounded in age and in count: at hundreds of runs a second, a minute of full run
 * results (input, values) would pin hundreds of megabytes. An evicted run's late joiner gets the
 * thread's stored state instead, as the Python server answers every ended run.
 */
export class RecentEnds {
  // A Map iterates in insertion order, which is the order runs ended: the oldest come first.
  private readonly ends = new Map<string, { end: RunEnd; expiresAt: number }>();

  constructor(
    private readonly maxAgeMs = 60_000,
    private readonly maxCount = 1_000,
  ) {}

  add(runId: string, end: RunEnd, now = Date.now()): void {
    this.ends.set(runId, { end, expiresAt: now + this.maxAgeMs });
    this.evict(now);
  }

  get(runId: string, now = Date.now()): RunEnd | undefined {
    this.evict(now);
    return this.ends.get(runId)?.end;
  }

  private evict(now: number): void {
    for (const [runId, { expiresAt }] of this.ends) {
      if (expiresAt > now && this.ends.size <= this.maxCount) return;
      this.ends.delete(runId);
    }
  }
}
