import pino from "pino";
import type { Config } from "../config/config.js";
import { ConfigError } from "../config/errors.js";
import { buildApp } from "../http/app.js";
import type { ServerContext } from "../http/context.js";
import { openSqliteStorage } from "../storage/sqlite/index.js";
import { databasePath } from "../storage/sqlite/database.js";
import { WalCheckpointer } from "../storage/sqlite/wal-checkpointer.js";
import { RunStreams } from "../bus/run-streams.js";
import { RunWorker } from "../queue/run-worker.js";
import { checkpointsPath, openCheckpointer } from "../runtime/checkpointer.js";
import { GraphRegistry } from "../runtime/graph-loader.js";
import { SqliteStore, STORE_SCHEMA_SQL } from "../runtime/store.js";
import { resolveWebhookSettings } from "../webhooks/config.js";
import { checkWebhookUrl } from "../webhooks/url-policy.js";
import { redactUrl } from "../webhooks/redact.js";
import { WebhookSender } from "../webhooks/sender.js";
import { WebhookOutbox } from "../webhooks/outbox.js";
import { DeliveryWorker } from "../webhooks/delivery-worker.js";
import type { Resolver } from "../webhooks/dns-guard.js";
import { invalid } from "../errors.js";
import { GraphExecutor } from "./graph-executor.js";
import { WorkerPoolExecutor } from "./worker-pool/pool-executor.js";
import { threadStates } from "./thread-states.js";
import { graphCatalog } from "./graph-catalog.js";
import { CronScheduler } from "../crons/scheduler.js";
import { ProjectEnv } from "../config/project-env.js";
import { ErrorStacks } from "./error-stacks.js";
import { DevReloader } from "./dev-reload.js";
import { startTtlSweeper } from "../threads/ttl-sweeper.js";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface StartOptions {
  /** DNS for webhook targets; tests inject one so no query leaves the machine. */
  resolver?: Resolver;
  /** Log destination (default stdout). */
  logStream?: NodeJS.WritableStream;
}

/**
 * Starts everything one process runs: storage, graphs, run workers, webhook delivery, HTTP.
 * `close()` stops them in reverse order.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  // Values from langgraph.json's "env" apply unless the environment already sets them.
  const projectEnv = new ProjectEnv();
  projectEnv.apply(config.project.env);
  const webhookSettings = resolveWebhookSettings(config.mode, config.project.webhooks, config.project.http, process.env);
  const logger = pino({ level: config.logLevel }, options.logStream ?? process.stdout);

  const releasers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const release of releasers.splice(0).reverse()) await release();
  };
  try {
    const storage = openSqliteStorage(config.dataDir, [STORE_SCHEMA_SQL]);
    releasers.push(() => storage.close());
    const saver = openCheckpointer(config.dataDir);
    releasers.push(() => saver.close());
    const checkpoints = WalCheckpointer.start([databasePath(config.dataDir), checkpointsPath(config.dataDir)], (error) =>
      logger.error({ err: error }, "the WAL checkpoint thread failed; connections checkpoint themselves"),
    );
    releasers.push(() => checkpoints.close());
    const store = new SqliteStore(storage.db);
    const registry = await GraphRegistry.load(config.project.graphs, { checkpointer: saver, store });
    await storage.assistants.ensureSystem(registry.ids());

    const sender = new WebhookSender(webhookSettings, { resolver: options.resolver });
    releasers.push(() => sender.close());
    const deliveries = new DeliveryWorker({ deliveries: storage.deliveries, sender, settings: webhookSettings, logger });
    const localExecutor = new GraphExecutor(registry, saver);
    // Graphs are CPU-bound: worker threads execute them so the main thread keeps serving HTTP.
    const executor =
      config.workers > 0
        ? WorkerPoolExecutor.start({ dataDir: config.dataDir, graphs: config.project.graphs }, config.workers, localExecutor, logger)
        : localExecutor;
    if (executor instanceof WorkerPoolExecutor) releasers.push(() => executor.close());
    const errorStacks = new ErrorStacks();
    const devReload = config.reload
      ? new DevReloader({
          configPath: config.configPath,
          project: config.project,
          registry,
          workers: executor instanceof WorkerPoolExecutor ? executor : undefined,
          executing: () => executor.executing(),
          env: projectEnv,
          ensureAssistants: (ids) => storage.assistants.ensureSystem(ids),
          logger,
        })
      : undefined;
    if (devReload) releasers.push(() => devReload.close());
    const streams = new RunStreams();
    const worker = new RunWorker({
      storage,
      executor: errorStacks.keeping(executor),
      streams,
      outbox: new WebhookOutbox(webhookSettings, () => deliveries.wake()),
      logger,
      concurrency: config.jobs,
      runTimeoutSeconds: config.runTimeoutSeconds,
    });

    const ctx: ServerContext = {
      config,
      storage,
      streams,
      worker,
      graphs: graphCatalog(registry),
      states: threadStates(registry, saver),
      store,
      runService: {
        storage,
        worker,
        streams,
        checkWebhookUrl: (url) => {
          if (webhookSettings.disabled) return;
          const checked = checkWebhookUrl(url, webhookSettings.urlPolicy);
          if (!checked.ok) throw invalid(`webhook: ${checked.reason}`);
        },
      },
      wakeDeliveries: () => deliveries.wake(),
      redactUrl,
      errorStacks,
      devReload,
    };
    const app = await buildApp(ctx, logger);
    releasers.push(() => app.close());

    await worker.start();
    releasers.push(() => worker.stop());
    // http.disable_webhooks: nothing is ever sent, not even deliveries stored before it was set.
    if (!webhookSettings.disabled) {
      await deliveries.start();
      releasers.push(() => deliveries.stop());
    }
    releasers.push(await startTtlSweeper(ctx, logger));
    const crons = new CronScheduler({ crons: storage.crons, runService: ctx.runService, logger });
    await crons.start();
    releasers.push(() => crons.stop());

    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new ConfigError(`port ${config.port} on ${config.host} is already in use; choose another with --port`);
      }
      throw error;
    }
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    return { url: `http://${host}:${port}`, port, close };
  } catch (error) {
    await close();
    throw error;
  }
}
