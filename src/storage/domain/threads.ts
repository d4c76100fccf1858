import type { ThreadSearch } from "../storage.js";
import type { ThreadStatus } from "../types.js";
import type { SortColumns } from "./sorting.js";

export const THREAD_SORT: SortColumns<NonNullable<ThreadSearch["sort_by"]>> = {
  thread_id: "text",
  status: "text",
  created_at: "time",
  updated_at: "time",
};

/** A copy has no run of its own: a busy source gives an idle copy; any other status is kept. */
export function copiedThreadStatus(source: ThreadStatus): ThreadStatus {
  return source === "busy" ? "idle" : source;
}

/** When a thread with a ttl (strategy "delete") expires, counted from its creation or its last ttl reset. */
export function threadExpiry(ttlMinutes: number | undefined, from: Date): Date | null {
  return ttlMinutes === undefined ? null : new Date(from.getTime() + ttlMinutes * 60_000);
}
