import type { Cron, CronCreate, CronSearch, CronUpdate } from "../storage.js";
import type { SortColumns } from "./sorting.js";

export const CRON_SORT: SortColumns<NonNullable<CronSearch["sort_by"]>> = {
  cron_id: "text",
  assistant_id: "text",
  thread_id: "text",
  next_run_date: "time",
  end_time: "time",
  created_at: "time",
  updated_at: "time",
};

/** A cron as first stored: crons have no owner here (no auth), so `user_id` is always null. */
export function newCron(input: CronCreate, now: string): Cron {
  return { ...input, user_id: null, created_at: now, updated_at: now };
}

/** The cron after an update: the given fields replace (a field left undefined is kept). */
export function updatedCron(current: Cron, update: CronUpdate, now: string): Cron {
  const given = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)) as CronUpdate;
  return { ...current, ...given, updated_at: now };
}
