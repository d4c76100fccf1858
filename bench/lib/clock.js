import { performance } from "node:perf_hooks";

/** Wall-clock milliseconds since the epoch with sub-millisecond resolution, comparable with server timestamps. */
export function epochMs() {
  return performance.timeOrigin + performance.now();
}

/** Monotonic milliseconds for durations. */
export function nowMs() {
  return performance.now();
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A point in time after which bounded loops stop. */
export function deadlineIn(seconds) {
  const at = nowMs() + seconds * 1000;
  return { at, passed: () => nowMs() >= at, leftMs: () => Math.max(0, at - nowMs()) };
}
