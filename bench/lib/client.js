// One SDK client for both servers: the figures only ever talk to the API the way users do.
import { Client } from "@langchain/langgraph-sdk";
import { assertLoopback } from "./net.js";

export const REQUEST_TIMEOUT_MS = 60_000;

export function makeClient(url) {
  assertLoopback(url);
  return new Client({
    apiUrl: url,
    apiKey: null,
    timeoutMs: REQUEST_TIMEOUT_MS,
    // A retried request would hide a failure inside a latency sample.
    callerOptions: { maxRetries: 0 },
  });
}

/**
 * One client for several API processes of one deployment: each use of `.runs`, `.threads`, ...
 * goes to the next process in turn, as a round-robin load balancer spreads requests. One URL: a
 * plain client.
 */
export function makeSpreadClient(urls) {
  const clients = urls.map(makeClient);
  if (clients.length === 1) return clients[0];
  let next = 0;
  const pick = () => clients[next++ % clients.length];
  return {
    get assistants() {
      return pick().assistants;
    },
    get threads() {
      return pick().threads;
    },
    get runs() {
      return pick().runs;
    },
    get crons() {
      return pick().crons;
    },
    get store() {
      return pick().store;
    },
  };
}

/** Names the call that failed and keeps server error bodies short. */
export function describeFailure(call, error) {
  const message = error instanceof Error ? error.message : String(error);
  const short = message.length > 240 ? `${message.slice(0, 240)}…` : message;
  const hint = /HTTP (404|405|501)\b/.test(message)
    ? " (endpoint not implemented by this server?)"
    : /HTTP 5\d\d\b/.test(message)
      ? " (see the server log)"
      : "";
  return `${call} failed: ${short}${hint}`;
}

/** Wraps a call so any error thrown says which API call it came from. */
export async function named(call, fn) {
  try {
    return await fn();
  } catch (error) {
    throw new Error(describeFailure(call, error), { cause: error });
  }
}
