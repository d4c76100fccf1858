/**
 * Signals between processes (`Signals` on Redis): one channel for all of them, each message
 * tagged with its sender. The sender's own listeners are called directly (a `serve` process
 * wakes its own worker without a round trip) and its echo from Redis is ignored.
 *
 * Run ends are stored (RECENT_ENDS: a minute, a bounded number) by the same script that
 * announces them, so a waiter that registers, then reads the stored end, cannot miss one.
 */

import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Signals } from "../bus.js";
import type { RunEnd } from "../../queue/executor.js";
import type { CancelAction } from "../../storage/types.js";
import { Listeners, RECENT_ENDS } from "../memory/signals.js";
import type { RedisKeys } from "./keys.js";
import { ThrottledFailure, type BusLogger } from "./logging.js";
import { defineSignalScripts, type SignalScripts } from "./scripts.js";
import type { ChannelListener, Subscriptions } from "./subscriptions.js";

/**
 * Ends up to this long (JSON characters) travel in the signal itself; a longer answer (a whole
 * state) is only stored, and the few processes with a waiter for the run read it.
 */
const INLINE_END_CHARS = 16 * 1024;

const WAKE_RUNS = "runs";
const WAKE_DELIVERIES = "deliveries";
const CRONS_CHANGED = "crons";
const CANCEL = "cancel";
const ENDED = "end";

/** `sender \n kind [\n run \n rest]`; the last field takes the remainder (JSON never holds a raw line break). */
function splitSignal(text: string): [sender: string, kind: string, runId: string, rest: string] {
  const fields: string[] = [];
  let start = 0;
  while (fields.length < 3) {
    const at = text.indexOf("\n", start);
    if (at === -1) break;
    fields.push(text.slice(start, at));
    start = at + 1;
  }
  fields.push(text.slice(start));
  return [fields[0], fields[1] ?? "", fields[2] ?? "", fields[3] ?? ""];
}

function isCancelAction(value: string): value is CancelAction {
  return value === "interrupt" || value === "rollback";
}

export interface RedisSignalsOptions {
  /** The commands connection. */
  redis: Redis;
  subscriptions: Subscriptions;
  keys: RedisKeys;
  logger: BusLogger;
}

export class RedisSignals implements Signals {
  private readonly sender = randomBytes(8).toString("hex");
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly scripts: SignalScripts;
  private readonly wakeRunsListeners = new Listeners<() => void>();
  private readonly wakeDeliveriesListeners = new Listeners<() => void>();
  private readonly cronsListeners = new Listeners<() => void>();
  private readonly cancelListeners = new Listeners<(runId: string, action: CancelAction) => void>();
  /** Waiters of runs whose end this process has not heard of yet, by run id. */
  private readonly waiters = new Map<string, Set<(end: RunEnd) => void>>();
  private readonly sendFailures: ThrottledFailure;
  private readonly readFailures: ThrottledFailure;
  private readonly reportSendFailure = (error: unknown) => this.sendFailures.report(error);
  private release: (() => void) | undefined;

  private constructor(options: RedisSignalsOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.scripts = defineSignalScripts(this.redis, this.keys);
    this.sendFailures = new ThrottledFailure(options.logger, "sending a signal through Redis failed; the safety polls cover it");
    this.readFailures = new ThrottledFailure(options.logger, "reading a run end from Redis failed");
  }

  /** Resolves once the signals channel is subscribed: from then on, other processes' signals arrive. */
  static async open(options: RedisSignalsOptions): Promise<RedisSignals> {
    const signals = new RedisSignals(options);
    const listener: ChannelListener = {
      message: (text) => signals.receive(text),
      resync: () => signals.resync(),
    };
    signals.release = await options.subscriptions.listen(options.keys.signals, listener);
    return signals;
  }

  wakeRuns(): void {
    this.send(WAKE_RUNS);
    this.wakeRunsListeners.call();
  }

  onWakeRuns(listener: () => void): () => void {
    return this.wakeRunsListeners.add(listener);
  }

  wakeDeliveries(): void {
    this.send(WAKE_DELIVERIES);
    this.wakeDeliveriesListeners.call();
  }

  onWakeDeliveries(listener: () => void): () => void {
    return this.wakeDeliveriesListeners.add(listener);
  }

  cronsChanged(): void {
    this.send(CRONS_CHANGED);
    this.cronsListeners.call();
  }

  onCronsChanged(listener: () => void): () => void {
    return this.cronsListeners.add(listener);
  }

  cancelRun(runId: string, action: CancelAction): void {
    this.send(CANCEL, runId, action);
    this.cancelListeners.call(runId, action);
  }

  onCancelRun(listener: (runId: string, action: CancelAction) => void): () => void {
    return this.cancelListeners.add(listener);
  }

  runEnded(runId: string, end: RunEnd): void {
    const json = JSON.stringify(end);
    const message = this.message(ENDED, runId, json.length <= INLINE_END_CHARS ? json : "");
    this.scripts.runEnded(runId, json, RECENT_ENDS.maxAgeMs, RECENT_ENDS.maxCount, message).catch(this.reportSendFailure);
    this.settle(runId, end);
  }

  async recentEnd(runId: string): Promise<RunEnd | undefined> {
    const json = await this.redis.get(this.keys.runEnd(runId));
    return json === null ? undefined : (JSON.parse(json) as RunEnd);
  }

  awaitEnd(runId: string, signal?: AbortSignal): Promise<RunEnd> {
    // An abort listener added to an aborted signal never fires: the waiter would stay forever.
    if (signal?.aborted) return new Promise(() => {});
    return new Promise((resolve) => {
      let waiting = this.waiters.get(runId);
      if (!waiting) this.waiters.set(runId, (waiting = new Set()));
      const registered = waiting;
      const forget = () => {
        registered.delete(finish);
        if (registered.size === 0 && this.waiters.get(runId) === registered) this.waiters.delete(runId);
        signal?.removeEventListener("abort", forget);
      };
      const finish = (end: RunEnd) => {
        forget();
        resolve(end);
      };
      // An aborted waiter is forgotten (its promise stays pending: the caller raced it and moved on).
      registered.add(finish);
      signal?.addEventListener("abort", forget, { once: true });
      // Registered first, then the stored end read: an end signalled in between reaches the waiter either way.
      this.settleFromStore(runId);
    });
  }

  async close(): Promise<void> {
    this.release?.();
    this.release = undefined;
    this.waiters.clear();
  }

  private message(kind: string, runId?: string, rest?: string): string {
    return runId === undefined ? `${this.sender}\n${kind}` : `${this.sender}\n${kind}\n${runId}\n${rest}`;
  }

  private send(kind: string, runId?: string, rest?: string): void {
    this.redis.publish(this.keys.signals, this.message(kind, runId, rest)).catch(this.reportSendFailure);
  }

  private receive(text: string): void {
    const [sender, kind, runId, rest] = splitSignal(text);
    if (sender === this.sender) return;
    if (kind === WAKE_RUNS) this.wakeRunsListeners.call();
    else if (kind === WAKE_DELIVERIES) this.wakeDeliveriesListeners.call();
    else if (kind === CRONS_CHANGED) this.cronsListeners.call();
    else if (kind === CANCEL && isCancelAction(rest)) this.cancelListeners.call(runId, rest);
    else if (kind === ENDED && this.waiters.has(runId)) {
      if (rest === "") this.settleFromStore(runId);
      else this.settle(runId, JSON.parse(rest) as RunEnd);
    }
  }

  /**
   * After a reconnect: signals sent meanwhile are lost. Waking is cheap and idempotent (a claim,
   * re-arming timers), so listeners are woken now rather than at their next safety poll, and
   * waiters look for ends that were stored meanwhile.
   */
  private resync(): void {
    this.wakeRunsListeners.call();
    this.wakeDeliveriesListeners.call();
    this.cronsListeners.call();
    for (const runId of this.waiters.keys()) this.settleFromStore(runId);
  }

  private settleFromStore(runId: string): void {
    this.recentEnd(runId).then(
      (end) => {
        if (end) this.settle(runId, end);
      },
      (error: unknown) => this.readFailures.report(error, { run_id: runId }),
    );
  }

  private settle(runId: string, end: RunEnd): void {
    for (const finish of this.waiters.get(runId) ?? []) finish(end);
  }
}
