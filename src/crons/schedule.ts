import { Cron as CronPattern } from "croner";
import { invalid } from "../errors.js";

/** What decides when a cron fires next. */
export interface CronTiming {
  schedule: string;
  timezone: string;
  /** ISO 8601; no firing after it. */
  end_time: string | null;
  enabled: boolean;
}

/**
 * Five fields (minute hour day month weekday), or six with seconds first (croner's order; Python
 * croniter puts seconds last). Croner without a callback only computes dates: it arms no timer.
 */
function pattern(schedule: string, timezone: string): CronPattern {
  return new CronPattern(schedule, { mode: "5-or-6-parts", timezone });
}

/** Throws a 422 naming the field when the timezone is not an IANA zone the runtime knows. */
export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw invalid(`timezone: ${JSON.stringify(timezone)} is not a known IANA timezone`);
  }
}

/** Throws a 422 naming the field when the schedule cannot be read or never fires (`0 0 30 2 *`). */
export function checkSchedule(schedule: string, timezone: string, now: Date): void {
  let next: Date | null;
  try {
    next = pattern(schedule, timezone).nextRun(now);
  } catch (error) {
    throw invalid(`schedule: ${(error as Error).message}`);
  }
  if (next === null) throw invalid(`schedule: ${JSON.stringify(schedule)} never fires`);
}

export function checkEndTime(endTime: string | null, now: Date): void {
  if (endTime !== null && new Date(endTime) <= now) throw invalid(`end_time: ${endTime} is in the past`);
}

/**
 * The first scheduled instant strictly after `after`, in the cron's timezone, as ISO 8601 UTC; null
 * when the cron is disabled or will not fire again before its end_time. Computing from "now" rather
 * than from the previous slot is what makes a cron fire once after downtime, not once per missed slot.
 */
export function nextRunDate(timing: CronTiming, after: Date): string | null {
  if (!timing.enabled) return null;
  const next = pattern(timing.schedule, timing.timezone).nextRun(after);
  if (!next || (timing.end_time !== null && next > new Date(timing.end_time))) return null;
  return next.toISOString();
}
