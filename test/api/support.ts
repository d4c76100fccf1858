import { createHash } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestServer, type TestServerOptions } from "../helpers/server.js";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A raw HTTP call, for what the SDK hides (status codes, error bodies, malformed input). */
export async function api<T = unknown>(
  server: { url: string },
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/**
 * RFC 4122 uuid5, written here independently of the server's implementation: SHA-1 over the
 * namespace bytes and the name, version and variant bits set.
 */
export function uuid5(name: string, namespace: string): string {
  const bytes = createHash("sha1").update(Buffer.from(namespace.replaceAll("-", ""), "hex")).update(Buffer.from(name)).digest().subarray(0, 16);
  bytes[6] = 0x50 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join("-");
}

export const SYSTEM_NAMESPACE = "6ba7b821-9dad-11d1-80b4-00c04fd430c8";

/**
 * `HOOKGRAPH_TEST_WORKERS` picks the graph worker threads (default 0: graphs run on the server's
 * thread; set it to run these tests through the worker pool), as in test/runs.
 */
const WORKERS = Number(process.env.HOOKGRAPH_TEST_WORKERS ?? 0);

/** Starts a server with the fixture graphs (see test/helpers/server.ts). */
export function startApiServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer({ workers: WORKERS, logLevel: "error", ...options });
}

/** One server for the whole test file; `server()` returns it once `beforeAll` has run. */
export function useServer(options: TestServerOptions = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startApiServer(options);
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return () => {
    if (!server) throw new Error("server not started");
    return server;
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` until `done` holds (or fails after `timeoutMs`). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await sleep(25);
  }
}
