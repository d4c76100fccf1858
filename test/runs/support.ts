import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import type { Client } from "@langchain/langgraph-sdk";
import { startTestServer, type TestServer, type TestServerOptions } from "../helpers/server.js";

/** The fixture graphs plus `probe` (reports its config), with `http.configurable_headers` set. */
export const RUNS_CONFIG = fileURLToPath(new URL("./fixtures/langgraph.json", import.meta.url));

export type RunsServerOptions = TestServerOptions;

/**
 * `HOOKGRAPH_TEST_WORKERS` picks the graph worker threads (default 0: graphs run on the server's
 * thread, the executor these tests are about; set it to run the suite through the worker pool).
 */
const WORKERS = Number(process.env.HOOKGRAPH_TEST_WORKERS ?? 0);

export function startRunsServer(options: RunsServerOptions = {}): Promise<TestServer> {
  const serverOptions: TestServerOptions = { configPath: RUNS_CONFIG, workers: WORKERS, logLevel: "error", ...options };
  return startTestServer(serverOptions);
}

/** A server started by `useRunsServer`; read it inside hooks and tests, once it has started. */
export interface RunsServer {
  readonly client: Client;
  readonly url: string;
}

/**
 * Starts a runs server before the tests of the enclosing file or `describe` and disposes of it after them.
 * Getters, because the server only exists once `beforeAll` has run.
 */
export function useRunsServer(options: RunsServerOptions = {}): RunsServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startRunsServer(options);
  });
  afterAll(() => server?.dispose());
  const current = (): TestServer => {
    if (!server) throw new Error("useRunsServer: the server starts in beforeAll; read it in hooks and tests");
    return server;
  };
  return {
    get client() {
      return current().client;
    },
    get url() {
      return current().url;
    },
  };
}

/** The run reached a final status. */
export const ended = (run: { status: string }) => run.status !== "pending" && run.status !== "running";

export interface Part {
  event: string;
  data: unknown;
  id?: string;
}

/** An SDK stream part as plain data (the SDK's own types vary by stream mode). */
export function toPart(part: unknown): Part {
  const { event, data, id } = part as Part;
  return { event, data, id };
}

/** Reads an SDK stream to its end. */
export async function collect(stream: AsyncIterable<unknown>): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of stream) parts.push(toPart(part));
  return parts;
}

/** A run's kwargs (the server sends them; the SDK's `Run` type leaves them out). */
export const kwargsOf = (run: unknown) => (run as { kwargs: Record<string, unknown> }).kwargs;

/** `on_completion` as the API spells it (the SDK 1.15 type says "complete" | "continue"). */
export const onCompletion = (value: "delete" | "keep") => value as never;

export const names = (parts: Part[]) => parts.map((part) => part.event);

/** Polls `read` until `done` holds (or fails the test after `timeoutMs`). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A raw SSE frame as the bytes say it: its field lines, in order. */
export interface RawFrame {
  event?: string;
  data?: string;
  id?: string;
  comment?: string;
}

/** Splits an event-stream body (CRLF or LF line ends) into frames. */
export function parseFrames(text: string): RawFrame[] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.length > 0)
    .map((block) => {
      const frame: RawFrame = {};
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(":")) frame.comment = line.slice(1).trim();
        const match = /^(event|data|id): (.*)$/.exec(line);
        if (match) frame[match[1] as "event" | "data" | "id"] = match[2];
      }
      return frame;
    });
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

export const SLOW = (delayMs: number) => ({ configurable: { delay_ms: delayMs } });
