/** Opening the bus's Redis connections: options for riding out restarts, and what gets logged. */

import { Redis } from "ioredis";
import { redactUrl } from "../../webhooks/redact.js";
import { describeError, ThrottledFailure, type BusLogger } from "./logging.js";

export type ConnectionRole = "commands" | "subscriber";

/** Reconnect delays double from 100 ms up to this, then stay there for as long as Redis is down. */
const MAX_RETRY_DELAY_MS = 2_000;

// A REDIS_URI may carry a password (userinfo or query): messages show it through redactUrl only.

export function createConnection(uri: string, role: ConnectionRole): Redis {
  if (!/^rediss?:\/\//i.test(uri)) throw new Error(`REDIS_URI must be a redis:// or rediss:// URL, not ${redactUrl(uri)}`);
  return new Redis(uri, {
    lazyConnect: true,
    connectionName: `hookgraph-${role}`,
    // Jitter, so that a cluster's processes do not all knock at once when Redis comes back.
    retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), MAX_RETRY_DELAY_MS) + Math.floor(Math.random() * 100),
    // While disconnected, commands fail at once instead of piling up in memory: what the bus
    // sends is either best effort (events, signals: the database has the truth) or a read whose
    // caller retries when the connection is back.
    enableOfflineQueue: false,
    // Commands already sent when the connection dropped are resent on the next one, or failed
    // after this many reconnects.
    maxRetriesPerRequest: 2,
    // One batch per round trip: many runs' events cost few writes.
    enableAutoPipelining: role === "commands",
    // The subscriber restores its channels itself, then tells readers to catch up (see Subscriptions).
    autoResubscribe: false,
  });
}

/** Connects, or fails with a message naming REDIS_URI (redacted). */
export async function connect(redis: Redis, uri: string): Promise<void> {
  // The failure is the start-up error; without a listener ioredis would also print it.
  const ignore = () => {};
  redis.on("error", ignore);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at REDIS_URI=${redactUrl(uri)}: ${describeError(error).message}`);
  } finally {
    redis.off("error", ignore);
  }
}

/**
 * Logs the connection's trouble: each loss and recovery once, errors throttled (a reconnect
 * attempt fails every couple of seconds while Redis is down). A listener must exist anyway: an
 * `error` event nobody listens to would crash the process.
 */
export function watchConnection(redis: Redis, role: ConnectionRole, logger: BusLogger): void {
  const errors = new ThrottledFailure(logger, "Redis connection error");
  let lost = false;
  redis.on("error", (error: unknown) => errors.report(error, { redis: role }));
  redis.on("close", () => {
    // "end": closed on purpose (the bus is closing), not lost.
    if (lost || redis.status === "end") return;
    lost = true;
    logger.warn({ redis: role }, "lost the connection to Redis; reconnecting");
  });
  redis.on("ready", () => {
    if (!lost) return;
    lost = false;
    logger.warn({ redis: role }, "reconnected to Redis");
  });
}
