import { Client } from "@langchain/langgraph-sdk";
import pg from "pg";
import { startCli, type CliProcess } from "./cli.js";
import { FIXTURE_CONFIG } from "./server.js";
import { createRedisPrefix, createTestDatabase, REDIS_URI, type TestDatabase, type TestRedisPrefix } from "./postgres.js";

/** The commands of a scaled-out deployment (README "Scaling out", docker-compose.yml). */
export type ClusterRole = "serve" | "api" | "worker";

export interface ClusterProcess extends CliProcess {
  role: ClusterRole;
  /** An SDK client on this process (API roles). */
  client: Client;
  /** The OS process id: leases name it (`lease_owner` is `host:pid:random`). */
  pid: number;
}

export interface ClusterOptions {
  /** Seconds before a dead process's runs are taken back (short in tests: `--lease-seconds`). */
  leaseSeconds?: number;
  /** Extra environment of every process (e.g. LANGGRAPH_WEBHOOKS). */
  env?: NodeJS.ProcessEnv;
  /** Extra flags of every process. */
  args?: string[];
  /** A Redis other than the machine's (a private server for fault tests). */
  redisUri?: string;
}

export interface Cluster {
  database: TestDatabase;
  redis: TestRedisPrefix;
  processes: ClusterProcess[];
  /** Starts one more process on the cluster's database and Redis. */
  start(role: ClusterRole, options?: { args?: string[]; env?: NodeJS.ProcessEnv }): Promise<ClusterProcess>;
  /** A query on the cluster's database, on a connection of its own (closed after). */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** The environment every process gets: DATABASE_URI, REDIS_URI, REDIS_KEY_PREFIX, ... */
  env: NodeJS.ProcessEnv;
  /** Kills every process still running (SIGKILL), drops the database, clears the Redis keys. */
  dispose(): Promise<void>;
}

/**
 * Webhooks to the tests' loopback receivers are allowed (`serve` refuses loopback targets by
 * default) and retried every second.
 */
export const CLUSTER_WEBHOOKS = JSON.stringify({
  url: { disable_loopback: false, disable_private_ips: false },
  retry: { schedule: [1, 1, 1, 1, 1, 1, 1, 1] },
});

/**
 * Real hookgraph processes, started from the compiled CLI exactly as a deployment starts them,
 * sharing a fresh PostgreSQL database and a Redis key prefix of their own.
 */
export async function startCluster(roles: ClusterRole[], options: ClusterOptions = {}): Promise<Cluster> {
  const database = await createTestDatabase();
  const redis = createRedisPrefix(options.redisUri);
  const env: NodeJS.ProcessEnv = {
    DATABASE_URI: database.uri,
    REDIS_URI: options.redisUri ?? REDIS_URI,
    REDIS_KEY_PREFIX: redis.prefix,
    LANGGRAPH_WEBHOOKS: CLUSTER_WEBHOOKS,
    ...options.env,
  };
  const processes: ClusterProcess[] = [];
  const start = async (role: ClusterRole, extra: { args?: string[]; env?: NodeJS.ProcessEnv } = {}) => {
    const args = [
      role,
      "--config",
      FIXTURE_CONFIG,
      "--port",
      "0",
      "--workers",
      "0",
      "--lease-seconds",
      String(options.leaseSeconds ?? 3),
      "--log-level",
      "warn",
      ...(options.args ?? []),
      ...(extra.args ?? []),
    ];
    const cli = await startCli(args, { env: { ...env, ...extra.env } });
    const started: ClusterProcess = { ...cli, role, client: new Client({ apiUrl: cli.url }), pid: cli.child.pid! };
    processes.push(started);
    return started;
  };
  const cluster: Cluster = {
    database,
    redis,
    processes,
    env,
    start,
    query: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => {
      const client = new pg.Client({ connectionString: database.uri });
      // A fault test terminates this database's connections, this one included: its query fails
      // then, and the client's own error event must not end the test process.
      client.on("error", () => {});
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end();
      }
    },
    dispose: async () => {
      await Promise.all(processes.map((process) => process.stop("SIGKILL")));
      await database.drop();
      // A fault test's private Redis may be down (or gone) by now: its keys die with it.
      await redis.clear().catch(() => {});
    },
  };
  try {
    // The first alone migrates; the others, started side by side, find it done (racing starts on
    // a fresh database have their own test). `processes` keeps the order of `roles`.
    const [first, ...rest] = roles;
    if (first) await start(first);
    const others = await Promise.allSettled(rest.map((role) => start(role)));
    const failed = others.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    processes.splice(1, processes.length - 1, ...others.map((outcome) => (outcome as PromiseFulfilledResult<ClusterProcess>).value));
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  return cluster;
}
