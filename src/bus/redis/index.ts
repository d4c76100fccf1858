import type { Redis } from "ioredis";
import type { Bus } from "../bus.js";
import type { StreamRetention } from "../memory/run-streams.js";
import { connect, createConnection, watchConnection, type ConnectionRole } from "./connection.js";
import { RedisKeys } from "./keys.js";
import type { BusLogger } from "./logging.js";
import { RedisRunStreams } from "./run-streams.js";
import { RedisSignals } from "./signals.js";
import { Subscriptions } from "./subscriptions.js";

export type { BusLogger } from "./logging.js";

export interface RedisBusOptions {
  /** REDIS_URI: `redis://` or `rediss://`; never logged unredacted. */
  uri: string;
  /** Namespace of every key and channel (default "hookgraph:"): processes on one prefix share runs and signals. */
  prefix?: string;
  logger: BusLogger;
  retention?: StreamRetention;
  /** Events kept per run stream (approximately, MAXLEN ~). */
  maxEventsPerRun?: number;
}

/** Answers within this, or `/ok` reports Redis as down. */
const PING_TIMEOUT_MS = 2_000;

/** What a graceful close waits for the last fire-and-forget writes before dropping the connections. */
const CLOSE_FLUSH_TIMEOUT_MS = 2_000;

function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The bus of a process among many: one auto-pipelined connection for commands, one for
 * subscriptions. Fails (naming REDIS_URI, redacted) when Redis cannot be reached at start;
 * afterwards rides out Redis restarts, reconnecting for as long as it takes.
 */
export async function openRedisBus(options: RedisBusOptions): Promise<Bus> {
  const { uri, logger } = options;
  const connections: Record<ConnectionRole, Redis> = {
    commands: createConnection(uri, "commands"),
    subscriber: createConnection(uri, "subscriber"),
  };
  const all = Object.values(connections);
  try {
    await Promise.all(all.map((redis) => connect(redis, uri)));
  } catch (error) {
    for (const redis of all) redis.disconnect();
    throw error;
  }
  for (const [role, redis] of Object.entries(connections)) watchConnection(redis, role as ConnectionRole, logger);

  const keys = new RedisKeys(options.prefix ?? "hookgraph:");
  const subscriptions = new Subscriptions(connections.subscriber, logger);
  const redis = connections.commands;
  const streams = new RedisRunStreams({ redis, subscriptions, keys, logger, retention: options.retention, maxEventsPerRun: options.maxEventsPerRun });
  let signals: RedisSignals;
  try {
    signals = await RedisSignals.open({ redis, subscriptions, keys, logger });
  } catch (error) {
    for (const connection of all) connection.disconnect();
    throw error;
  }

  return {
    streams,
    signals,
    async ping() {
      for (const [role, connection] of Object.entries(connections)) {
        if (connection.status !== "ready") throw new Error(`Redis is unreachable (${role} connection: ${connection.status})`);
      }
      await within(Promise.all(all.map((connection) => connection.ping())), PING_TIMEOUT_MS, `Redis did not answer within ${PING_TIMEOUT_MS} ms`);
    },
    async close() {
      streams.closeAll();
      streams.flush();
      await signals.close();
      // PING goes after every queued write (QUIT would overtake the next auto-pipelined batch).
      await within(redis.ping(), CLOSE_FLUSH_TIMEOUT_MS, "flush timed out").catch(() => {});
      for (const connection of all) connection.disconnect();
    },
  };
}
