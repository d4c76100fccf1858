// hookgraph scaled out: several processes sharing a PostgreSQL database and a Redis key prefix of
// their own (created for each deployment, dropped after), as `hookgraph serve` / `api` / `worker`.
import { tsImport } from "tsx/esm/api";
import { join } from "node:path";
import { ROOT_DIR } from "../paths.js";
import { writeConfigVariant } from "../bench-config.js";
import { pidsMatching } from "../proc.js";
import { prepare, startHookgraphProcess } from "./hookgraph.js";

// The tests' helpers: a database named for this process and dropped WITH (FORCE), a key prefix
// cleared by SCAN: the machine's PostgreSQL and Redis are shared, nothing else in them is touched.
const helpers = () => tsImport(join(ROOT_DIR, "test", "helpers", "postgres.ts"), import.meta.url);

// `serve` refuses loopback webhook targets by default; the harness's receivers are on 127.0.0.1.
const LOOPBACK_WEBHOOKS = { webhooks: { url: { disable_loopback: false } } };

/** `postgres-2.log` → `postgres-2-serve-1.log`: one log per process. */
function memberLog(logFile, role, index) {
  return logFile.replace(/\.log$/, `-${role}-${index + 1}.log`);
}

/** Stops every started process (in parallel), then removes what the deployment owned; resolves with the CPU profiles. */
async function teardown(members, owned) {
  const profiles = (await Promise.all(members.map((m) => m.stop()))).flat();
  for (const release of owned.splice(0).reverse()) await release();
  return profiles;
}

/**
 * Starts one process per entry of `roles` on a new database and key prefix. All start at once
 * (migrations take an advisory lock). The deployment's `urls` are its API processes', for the
 * client to spread requests over; `members` are all its processes (memory, CPU).
 */
async function startDeployment(roles, { configPath, logFile, nodeArgs = [], serverArgs = [] }) {
  const { createTestDatabase, createRedisPrefix, REDIS_URI } = await helpers();
  const owned = [];
  const started = [];
  try {
    const database = await createTestDatabase();
    owned.push(() => database.drop());
    const redis = createRedisPrefix();
    owned.push(() => redis.clear());
    const config = writeConfigVariant(configPath, LOOPBACK_WEBHOOKS);
    owned.push(() => config.remove());
    const env = { DATABASE_URI: database.uri, REDIS_URI, REDIS_KEY_PREFIX: redis.prefix };
    const results = await Promise.allSettled(
      roles.map(async (role, i) => {
        const log = memberLog(logFile, role, i);
        try {
          const member = { ...(await startHookgraphProcess({ command: role, flags: ["--config", config.path], env, logFile: log, nodeArgs, serverArgs })), role, log };
          started.push(member);
          return member;
        } catch (error) {
          // Which of the processes failed, and its log (the harness names the deployment's in its message).
          throw Object.assign(new Error(`${role} ${i + 1}: ${error.message}`, { cause: error }), { log });
        }
      }),
    );
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    // In `roles` order, not in the order they came up.
    const members = results.map((r) => r.value);
    const apis = members.filter((m) => m.role !== "worker");
    return {
      url: apis[0].url,
      urls: apis.map((m) => m.url),
      pid: members[0].pid,
      rootPid: members[0].rootPid,
      members,
      database: database.name,
      databaseUri: database.uri,
      redisPrefix: redis.prefix,
      // Where else the deployment's CPU goes. Backends name their database in their command line
      // ("postgres: 15/main: postgres <database> 127.0.0.1(port) idle"); Redis is the machine's one,
      // shared with whatever else uses it.
      services: {
        postgres: () => pidsMatching(new RegExp(`^postgres: .* ${database.name} `)),
        redis: () => pidsMatching(/^\S*redis-server /),
      },
      startupMs: Math.max(...members.map((m) => m.startupMs)),
      recentOutput: members[0].recentOutput,
      stop: () => teardown(started, owned),
    };
  } catch (error) {
    await teardown(started, owned);
    throw error;
  }
}

// Figures 1-4 and 7 (latency, throughput, streaming, webhooks, memory): what the mode compares with
// embedded. Figures 5 and 6 seed an embedded data dir; 5b (crons) is left to the embedded column.
export const SCALE_OUT_FIGURES = ["memory_idle", "memory_after", "latency", "throughput", "streaming", "webhooks"];

/**
 * `processes` × `hookgraph serve` (API and queue in each), the client spreading requests over them
 * round robin: how a user scales out behind a load balancer, every replica alike.
 */
export function postgresServe(processes) {
  return {
    name: `postgres-${processes}`,
    kind: "postgres",
    label: `hookgraph on PostgreSQL + Redis, ${processes} × serve`,
    processes,
    features: {},
    figures: SCALE_OUT_FIGURES,
    prepare,
    start: (options) => startDeployment(Array(processes).fill("serve"), options),
  };
}

/** `hookgraph api` (A) and `hookgraph worker` (B): every run is created on one process and started on the other. */
export const postgresSplit = {
  name: "postgres-split",
  kind: "postgres",
  label: "hookgraph on PostgreSQL + Redis, api + worker",
  features: { crossProcess: true },
  figures: ["wakeup"],
  prepare,
  start: (options) => startDeployment(["api", "worker"], options),
};
