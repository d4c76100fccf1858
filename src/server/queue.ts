import type { FastifyBaseLogger } from "fastify";
import type { Config } from "../config/config.js";
import type { Backend } from "./backend.js";
import type { GraphRegistry } from "../runtime/graph-loader.js";
import type { Metrics } from "../metrics/metrics.js";
import type { RunServiceDeps } from "../runs/create-run.js";
import type { ThreadDeletionDeps } from "../threads/delete-thread.js";
import type { WebhookSettings } from "../webhooks/config.js";
import type { Resolver } from "../webhooks/dns-guard.js";
import { RunWorker } from "../queue/run-worker.js";
import { RunFinisher } from "../queue/run-finisher.js";
import { LeaseSweeper } from "../queue/lease-sweeper.js";
import { WebhookSender } from "../webhooks/sender.js";
import { WebhookOutbox } from "../webhooks/outbox.js";
import { DeliveryWorker } from "../webhooks/delivery-worker.js";
import { CronScheduler } from "../crons/scheduler.js";
import { startTtlSweeper } from "../threads/ttl-sweeper.js";
import { startStoreSweeper } from "../store/ttl-sweeper.js";
import { GraphExecutor } from "./graph-executor.js";
import { WorkerPoolExecutor } from "./worker-pool/pool-executor.js";
import type { ErrorStacks } from "./error-stacks.js";

export interface QueueDeps {
  config: Config;
  backend: Backend;
  registry: GraphRegistry;
  runService: RunServiceDeps;
  threadDeletion: ThreadDeletionDeps;
  webhookSettings: WebhookSettings;
  metrics: Metrics;
  logger: FastifyBaseLogger;
  /** This process, as leases name it. */
  owner: string;
  /** Keeps the stacks of failed runs for the dashboard. */
  errorStacks: ErrorStacks;
  resolver?: Resolver;
}

export interface RunningQueue {
  /** Graceful stop: nothing new is claimed; running runs get `graceMs`, then are handed back. */
  stop(graceMs: number): Promise<void>;
  /** The graph worker threads, when runs execute there (dev reload reaches them). */
  workers?: WorkerPoolExecutor;
  /** Runs executing in this process now. */
  executing(): number;
}

/**
 * A claim round now and then without a wake-up, for signals lost on the way (Redis restarting).
 * In one process no signal can be lost: no poll.
 */
const SAFETY_POLL_MS = 2_000;

/**
 * The queue role: executes runs (graph worker threads), takes back runs of dead processes, sends
 * webhooks, fires crons, sweeps expired threads and store items. The same code on both backends;
 * the embedded one first takes back everything its previous (dead) process held.
 */
export async function startQueue(deps: QueueDeps): Promise<RunningQueue> {
  const { config, backend, registry, runService, webhookSettings, metrics, logger, owner } = deps;
  const { storage, persistence, bus } = backend;
  const stops: ((graceMs: number) => Promise<void> | void)[] = [];
  const stop = async (graceMs: number) => {
    for (const release of stops.splice(0).reverse()) await release(graceMs);
  };
  const safetyPollMs = backend.shared ? SAFETY_POLL_MS : undefined;
  const lease = { owner, leaseMs: config.leaseSeconds * 1000 };
  try {
    const localExecutor = new GraphExecutor(registry, persistence.checkpoints);
    // Graphs are CPU-bound: worker threads execute them so the main thread keeps serving HTTP.
    const executor =
      config.workers > 0
        ? WorkerPoolExecutor.start({ database: config.database, graphs: config.project.graphs }, config.workers, localExecutor, logger)
        : localExecutor;
    if (executor instanceof WorkerPoolExecutor) stops.push(() => executor.close());

    const finisher = new RunFinisher({
      storage,
      executor: deps.errorStacks.keeping(executor),
      streams: bus.streams,
      signals: bus.signals,
      outbox: new WebhookOutbox(webhookSettings),
      logger,
      onFinished: (run, status) => {
        metrics.runsFinished.inc({ status });
        if (run.started_at) metrics.runDuration.observe({ status }, (Date.now() - Date.parse(run.started_at)) / 1000);
      },
    });
    const sweeper = new LeaseSweeper({
      storage,
      finisher,
      logger,
      lease,
      onRequeued: () => bus.signals.wakeRuns(),
      onReclaimed: (count) => metrics.leasesReclaimed.inc(count),
    });
    // The embedded database has one owner, and the lock says the previous one is dead.
    if (!backend.shared) await sweeper.sweepAll();
    sweeper.start();
    stops.push(() => sweeper.stop());

    const worker = new RunWorker({
      storage,
      executor: deps.errorStacks.keeping(executor),
      streams: bus.streams,
      signals: bus.signals,
      finisher,
      logger,
      concurrency: config.jobs,
      runTimeoutSeconds: config.runTimeoutSeconds,
      owner,
      leaseMs: lease.leaseMs,
      safetyPollMs,
    });
    worker.start();
    metrics.countExecuting(() => worker.activeCount);
    stops.push((graceMs) => worker.stop(graceMs));

    // http.disable_webhooks: nothing is ever sent, not even deliveries stored before it was set.
    if (!webhookSettings.disabled) {
      const sender = new WebhookSender(webhookSettings, { resolver: deps.resolver });
      stops.push(() => sender.close());
      const deliveries = new DeliveryWorker({
        deliveries: storage.deliveries,
        sender,
        settings: webhookSettings,
        logger,
        owner,
        releaseAllLeasesAtStart: !backend.shared,
        safetyPollMs,
        onAttempt: (delivery, result) => {
          metrics.webhookAttempts.inc({ outcome: result.outcome });
          if (result.outcome === "succeeded") metrics.webhookDeliveryLatency.observe((Date.now() - Date.parse(delivery.created_at)) / 1000);
        },
      });
      const unsubscribe = bus.signals.onWakeDeliveries(() => deliveries.wake());
      await deliveries.start();
      stops.push(async () => {
        unsubscribe();
        await deliveries.stop();
      });
    }

    const crons = new CronScheduler({
      crons: storage.crons,
      runService,
      logger,
      safetyPollMs,
      onFired: (lagMs) => metrics.cronLag.observe(Math.max(0, lagMs) / 1000),
    });
    await crons.start();
    stops.push(() => crons.stop());
    stops.push(await startTtlSweeper(deps.threadDeletion, logger));
    stops.push(startStoreSweeper(persistence.store, logger));
    return {
      stop,
      workers: executor instanceof WorkerPoolExecutor ? executor : undefined,
      executing: () => worker.activeCount,
    };
  } catch (error) {
    await stop(0);
    throw error;
  }
}
