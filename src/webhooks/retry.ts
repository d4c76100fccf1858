export type AttemptOutcome = "succeeded" | "retry" | "failed";

/**
 * Outcome of an attempt that got an HTTP status. Only 2xx succeeds; 3xx is not followed and
 * retried (the endpoint may come back); 408, 429 and 5xx are transient; other 4xx (incl. 410
 * Gone) mean the receiver rejects this message for good. Network errors and timeouts are
 * always "retry" and never reach this function.
 */
export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return "succeeded";
  if (status >= 300 && status < 400) return "retry";
  if (status === 408 || status === 429 || status >= 500) return "retry";
  return "failed";
}

/** `Retry-After` as seconds from `nowMs`: delta-seconds or an HTTP date (past dates give 0). */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // Only dates that look like HTTP dates: Date.parse alone accepts far too much.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

const JITTER_FRACTION = 0.2;

export interface DelayOptions {
  /** The receiver's `Retry-After`, in seconds. */
  retryAfterSeconds?: number;
  /** Source of randomness in [0, 1), for tests. */
  random?: () => number;
}

/**
 * Delay before the next attempt after `attemptsMade` attempts (1 = the first attempt failed),
 * or null when the schedule is exhausted. The scheduled delay gets ±20 % jitter; a
 * `Retry-After` replaces it but is clamped to [scheduled, 2 × scheduled] so a receiver can
 * neither hurry retries nor park the message indefinitely.
 */
export function nextAttemptDelayMs(attemptsMade: number, schedule: readonly number[], opts: DelayOptions = {}): number | null {
  const index = attemptsMade - 1;
  if (!Number.isInteger(index) || index < 0 || index >= schedule.length) return null;
  const scheduledMs = schedule[index] * 1000;
  if (opts.retryAfterSeconds !== undefined && Number.isFinite(opts.retryAfterSeconds)) {
    const askedMs = opts.retryAfterSeconds * 1000;
    return Math.round(Math.min(Math.max(askedMs, scheduledMs), 2 * scheduledMs));
  }
  const random = opts.random ?? Math.random;
  const factor = 1 + JITTER_FRACTION * (2 * random() - 1);
  return Math.round(scheduledMs * factor);
}
