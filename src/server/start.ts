import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pino from "pino";
import type { Config } from "../config/config.js";
import { ConfigError } from "../config/errors.js";
import { buildApp, buildHealthApp } from "../http/app.js";
import type { ServerContext } from "../http/context.js";
import type { Health } from "../http/health.js";
import { RunControl } from "../queue/run-control.js";
import { GraphRegistry } from "../runtime/graph-loader.js";
import { resolveWebhookSettings } from "../webhooks/config.js";
import { checkWebhookUrl } from "../webhooks/url-policy.js";
import { redactUrl } from "../webhooks/redact.js";
import type { Resolver } from "../webhooks/dns-guard.js";
import { invalid } from "../errors.js";
import { Metrics } from "../metrics/metrics.js";
import { openBackend } from "./backend.js";
import { startQueue, type RunningQueue } from "./queue.js";
import { threadStates } from "./thread-states.js";
import { graphCatalog } from "./graph-catalog.js";
import { ProjectEnv } from "../config/project-env.js";
import { ErrorStacks } from "./error-stacks.js";
import { DevReloader } from "./dev-reload.js";

export interface RunningServer {
  url: string;
  port: number;
  /** Which process this is, as leases and logs name it (`host:pid:random`). */
  owner: string;
  /**
   * Graceful stop: `/ok` answers draining, nothing new is claimed, running runs get the shutdown
   * grace to finish (`graceMs`, default `--shutdown-grace`) and are then handed back to the queue;
   * then HTTP and storage close.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export interface StartOptions {
  /** DNS for webhook targets; tests inject one so no query leaves the machine. */
  resolver?: Resolver;
  /** Log destination (default stdout). */
  logStream?: NodeJS.WritableStream;
}

/**
 * Starts what this process's role runs: storage and the bus always; the API (`all`, `api`); the
 * queue — runs, webhooks, crons, sweepers — (`all`, `worker`). `close()` stops them in reverse.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  // Values from langgraph.json's "env" apply unless the environment already sets them.
  const projectEnv = new ProjectEnv();
  projectEnv.apply(config.project.env);
  const webhookSettings = resolveWebhookSettings(config.mode, config.project.webhooks, config.project.http, process.env);
  const logger = pino({ level: config.logLevel }, options.logStream ?? process.stdout);
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;

  const releasers: (() => Promise<void> | void)[] = [];
  const releaseAll = async () => {
    for (const release of releasers.splice(0).reverse()) await release();
  };
  let draining = false;
  let queue: RunningQueue | undefined;
  try {
    const backend = await openBackend(config, logger);
    releasers.push(() => backend.close());
    const { storage, persistence, bus } = backend;
    const registry = await GraphRegistry.load(config.project.graphs, { checkpointer: persistence.checkpointer, store: persistence.store });
    await storage.assistants.ensureSystem(registry.ids());

    const metrics = new Metrics({ storage });
    const health: Health = {
      draining: () => draining,
      dependencies: { database: () => storage.ping(), ...(backend.shared ? { redis: () => bus.ping() } : {}) },
      metrics,
    };
    const runs = new RunControl({ storage, streams: bus.streams, signals: bus.signals, safetyPollMs: backend.shared ? 1_000 : undefined });
    // A cron written here re-arms the schedulers of every queue process.
    releasers.push(storage.crons.onChange(() => bus.signals.cronsChanged()));
    const states = threadStates(registry, persistence);
    const errorStacks = new ErrorStacks();
    const runService = {
      storage,
      control: runs,
      streams: bus.streams,
      signals: bus.signals,
      checkWebhookUrl: (url: string) => {
        if (webhookSettings.disabled) return;
        const checked = checkWebhookUrl(url, webhookSettings.urlPolicy);
        if (!checked.ok) throw invalid(`webhook: ${checked.reason}`);
      },
    };
    const ctx: ServerContext = {
      config,
      storage,
      streams: bus.streams,
      runs,
      graphs: graphCatalog(registry),
      states,
      store: persistence.store,
      runService,
      wakeDeliveries: () => bus.signals.wakeDeliveries(),
      redactUrl,
      errorStacks,
      devReload: undefined,
    };
    const app = config.role === "worker" ? await buildHealthApp(health, logger) : await buildApp(ctx, health, logger);
    releasers.push(() => app.close());
    // Before the app closes: readers and waiters would otherwise hold their HTTP connections (and the close) forever.
    releasers.push(() => {
      runs.close();
      bus.streams.closeAll();
    });

    if (config.role !== "api") {
      queue = await startQueue({
        config,
        backend,
        registry,
        runService,
        threadDeletion: { storage, runs, states },
        webhookSettings,
        metrics,
        logger,
        owner,
        errorStacks,
        resolver: options.resolver,
      });
    }
    if (config.reload) {
      const runningQueue = queue;
      const devReload = new DevReloader({
        configPath: config.configPath,
        project: config.project,
        registry,
        workers: runningQueue?.workers,
        executing: () => runningQueue?.executing() ?? 0,
        env: projectEnv,
        ensureAssistants: (ids) => storage.assistants.ensureSystem(ids),
        logger,
      });
      ctx.devReload = devReload;
      releasers.push(() => devReload.close());
    }

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
    logger.info({ owner, role: config.role, database: config.database.kind }, "hookgraph started");
    let closing: Promise<void> | undefined;
    return {
      url: `http://${host}:${port}`,
      port,
      owner,
      close: (closeOptions = {}) =>
        (closing ??= (async () => {
          draining = true;
          await queue?.stop(closeOptions.graceMs ?? config.shutdownGraceSeconds * 1000);
          await releaseAll();
        })()),
    };
  } catch (error) {
    await queue?.stop(0);
    await releaseAll();
    throw error;
  }
}
