/**
 * A webhook delivery's states: what an attempt's record, a redelivery and a handed-back lease do
 * to it. Each dialect reads the row (locked, or inside its one-connection transaction), asks
 * these, and writes the answer.
 */
import type { FinishedAttempt } from "../storage.js";
import type { DeliveryStatus } from "../types.js";

/** The concurrency bucket of a URL: the origin the sender limits per (the URL itself if it does not parse). */
export function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : url;
}

/** `manual_requested` as stored (a small integer in both dialects). */
export const MANUAL = {
  none: 0,
  /** The next attempt is a manual one (a redelivery was asked for). */
  next: 1,
  /** Asked for while an attempt was in flight: another (manual) attempt follows it at once. */
  afterAttempt: 2,
} as const;

export type ManualRequest = (typeof MANUAL)[keyof typeof MANUAL];

/** The columns that say what a delivery does next. */
export interface DeliveryState {
  status: DeliveryStatus;
  next_attempt_at: Date | null;
  manual_requested: ManualRequest;
}

/** After an attempt: what the attempt decided, unless a redelivery was asked for during it. */
export function afterAttempt(manual: ManualRequest, next: FinishedAttempt["next"], now: Date): DeliveryState {
  if (manual === MANUAL.afterAttempt) return { status: "pending", next_attempt_at: now, manual_requested: MANUAL.next };
  return { status: next.status, next_attempt_at: next.status === "pending" ? next.next_attempt_at : null, manual_requested: MANUAL.none };
}

/**
 * A redelivery: due at once as a manual attempt, whatever the delivery's status; during an
 * attempt only remembered (`afterAttempt` serves it), so two attempts never run side by side.
 */
export function redelivery(inAttempt: boolean, now: Date): { kind: "after-attempt" } | { kind: "now"; state: DeliveryState } {
  if (inAttempt) return { kind: "after-attempt" };
  return { kind: "now", state: { status: "pending", next_attempt_at: now, manual_requested: MANUAL.next } };
}

/**
 * A lease handed back before its attempt was recorded (a stop, a dead owner): the delivery was due
 * and stays so; a redelivery asked for during the cut-short attempt becomes the next attempt, at
 * once. Undefined: nothing but the lease changes.
 */
export function afterRelease(manual: ManualRequest, now: Date): DeliveryState | undefined {
  return manual === MANUAL.afterAttempt ? { status: "pending", next_attempt_at: now, manual_requested: MANUAL.next } : undefined;
}
