import { randomFillSync } from "node:crypto";

/**
 * Two globals that LangGraph, @langchain/core and langsmith touch dozens of times per graph
 * invocation, made cheap for a graph worker thread (profiled on the echo graph: ~8 % of the
 * worker's time went to them). Only graph worker threads call this: they run nothing but graphs.
 */
export function speedUpThreadGlobals(): void {
  poolSmallRandomValues();
  snapshotEnvironment();
}

/** Bytes drawn from the CSPRNG at once; small requests take the next unserved ones (no byte twice). */
const POOL_BYTES = 4096;
const SMALL_REQUEST_BYTES = 64;

/**
 * `crypto.getRandomValues` costs ~5 µs per call on Node 20 (a native job per call), and the
 * libraries call it for every UUID they make (~0.4 µs for `crypto.randomUUID`, which pools). Small
 * Uint8Array requests (UUIDs ask 16 bytes) are copied from a pool refilled by the same CSPRNG;
 * anything else goes to the original, which also keeps its argument checks and errors.
 */
function poolSmallRandomValues(): void {
  const original = globalThis.crypto.getRandomValues.bind(globalThis.crypto) as (array: unknown) => unknown;
  const pool = Buffer.alloc(POOL_BYTES);
  let offset = POOL_BYTES;
  const getRandomValues = (array: unknown): unknown => {
    if (!(array instanceof Uint8Array) || array.byteLength > SMALL_REQUEST_BYTES) return original(array);
    if (offset + array.byteLength > POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    array.set(pool.subarray(offset, offset + array.byteLength));
    offset += array.byteLength;
    return array;
  };
  Object.defineProperty(globalThis.crypto, "getRandomValues", { value: getRandomValues, configurable: true, writable: true });
}

/**
 * A worker thread's `process.env` is already its own copy of the environment (changes stay in the
 * thread), but each read still crosses into C++ (~0.4 µs, against ~5 ns for an object property).
 * A plain object with the same entries reads at object speed. What differs: values assigned are
 * kept as given instead of being turned into strings, and setting TZ does not change the thread's
 * time zone.
 */
function snapshotEnvironment(): void {
  process.env = { ...process.env };
}
