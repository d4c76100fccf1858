import { conflict } from "../../errors.js";
import type { RunCreated } from "../storage.js";
import type { MultitaskStrategy } from "../types.js";

/**
 * What a new run's multitask strategy does to the runs already pending or running on its thread
 * (oldest first): `reject` refuses the new run (409), `interrupt` and `rollback` stop them,
 * `enqueue` queues the new run behind them. The caller holds the thread while it decides and
 * inserts (a transaction that serialises run creation on the thread), so `inflight` is current.
 */
export function applyMultitask(
  strategy: MultitaskStrategy,
  threadId: string,
  inflight: readonly { run_id: string }[],
): RunCreated["preempted"] {
  if (inflight.length === 0 || strategy === "enqueue") return [];
  if (strategy === "reject") {
    throw conflict(`thread ${threadId} is busy with run ${inflight[0].run_id}; multitask_strategy is "reject"`);
  }
  return inflight.map((run) => ({ run_id: run.run_id, action: strategy }));
}
