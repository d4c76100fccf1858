import { nowMs } from "./clock.js";

/**
 * Runs `task(i)` for i < total with at most `concurrency` in flight, timing each. Bounded twice:
 * by `total`, and by `deadline` (no task starts after it). The first error stops new tasks.
 * @returns {Promise<{latencies: number[], completed: number, wallMs: number, error?: Error, cutShort: boolean}>}
 */
export async function runPool({ total, concurrency, deadline, task }) {
  const latencies = [];
  let next = 0;
  let error;
  const started = nowMs();
  const worker = async () => {
    while (next < total && !error && !deadline.passed()) {
      const index = next;
      next += 1;
      const t0 = nowMs();
      try {
        await task(index);
        latencies.push(nowMs() - t0);
      } catch (caught) {
        error ??= caught instanceof Error ? caught : new Error(String(caught));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { latencies, completed: latencies.length, wallMs: nowMs() - started, error, cutShort: latencies.length < total && !error };
}
