import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { Client } from "@langchain/langgraph-sdk";
import { DEFAULT_OPTIONS, resolveConfig, type Mode } from "../../src/config/config.js";
import { startServer } from "../../src/server/start.js";
import type { Resolver } from "../../src/webhooks/dns-guard.js";
import { FIXTURE_CONFIG } from "../helpers/server.js";
import { startReceiver, type Handler, type Receiver } from "./receiver.js";

export interface WebhookServerOptions {
  mode?: Mode;
  /** The langgraph.json `webhooks` block. */
  webhooks?: Record<string, unknown>;
  /** The langgraph.json `http` block. */
  http?: Record<string, unknown>;
  /** The langgraph.json `env` object (applied to process.env unless already set). */
  env?: Record<string, string>;
  /** Extra environment seen by config resolution (LANGGRAPH_HTTP, LANGGRAPH_WEBHOOKS). */
  processEnv?: Record<string, string>;
  runTimeoutSeconds?: number;
  resolver?: Resolver;
  logLevel?: string;
  /** Reuse a data directory (restarts); it is then not removed by dispose(). */
  dataDir?: string;
}

export interface WebhookServer {
  url: string;
  client: Client;
  dataDir: string;
  configPath: string;
  /** Everything the server logged so far. */
  logs(): string;
  /** GET/POST on the server, answering status and parsed JSON. */
  api(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

const cleanup: Array<() => Promise<void> | void> = [];

/** Runs (in reverse order) everything the helpers here started; call from afterEach. */
export async function disposeAll(): Promise<void> {
  while (cleanup.length > 0) await cleanup.pop()!();
}

/**
 * Writes a langgraph.json with the fixture graphs and the given blocks into a temp directory.
 * Graph paths are absolute, so the file works from anywhere.
 */
export function writeProjectConfig(options: Pick<WebhookServerOptions, "webhooks" | "http" | "env">): string {
  const fixture = JSON.parse(readFileSync(FIXTURE_CONFIG, "utf8")) as { graphs: Record<string, string> };
  const fixtureDir = resolve(FIXTURE_CONFIG, "..");
  const graphs = Object.fromEntries(Object.entries(fixture.graphs).map(([id, spec]) => [id, resolve(fixtureDir, spec)]));
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-webhooks-config-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "langgraph.json");
  writeFileSync(
    path,
    JSON.stringify({
      graphs,
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
      ...(options.http ? { http: options.http } : {}),
      ...(options.env ? { env: options.env } : {}),
    }),
  );
  return path;
}

export function tempDir(prefix = "hookgraph-webhooks-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real hookgraph server in this process, its log lines captured. */
export async function startWebhookServer(options: WebhookServerOptions = {}): Promise<WebhookServer> {
  const configPath = writeProjectConfig(options);
  const dataDir = options.dataDir ?? tempDir("hookgraph-webhooks-data-");
  let logs = "";
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs += chunk.toString();
      callback();
    },
  });
  const config = resolveConfig({
    ...DEFAULT_OPTIONS,
    mode: options.mode ?? "dev",
    configPath,
    port: 0,
    // Graphs on the main thread: the webhook path is the same, and a test file stays one thread.
    workers: 0,
    logLevel: options.logLevel ?? "info",
    runTimeoutSeconds: options.runTimeoutSeconds ?? DEFAULT_OPTIONS.runTimeoutSeconds,
    dataDir,
  } as Parameters<typeof resolveConfig>[0], { ...process.env, ...options.processEnv });
  const server = await startServer(config, { resolver: options.resolver, logStream });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await server.close();
  };
  cleanup.push(close);
  return {
    url: server.url,
    client: new Client({ apiUrl: server.url }),
    dataDir,
    configPath,
    logs: () => logs,
    api: async (path, init = {}) => {
      const response = await fetch(`${server.url}${path}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await response.text();
      return { status: response.status, body: text === "" ? null : JSON.parse(text) };
    },
    close,
  };
}

/** A loopback receiver closed by disposeAll(). */
export async function receiver(handler?: Handler, port?: number): Promise<Receiver> {
  const r = await startReceiver(handler, port);
  cleanup.push(() => r.close());
  return r;
}

/** Answers each request with the next scripted status (the last one repeats). */
export function scripted(statuses: Array<number | { status: number; headers?: Record<string, string>; body?: string }>): Handler {
  let i = 0;
  return (_req, res) => {
    const step = statuses[Math.min(i++, statuses.length - 1)];
    const { status, headers = {}, body = "" } = typeof step === "number" ? { status: step } : step;
    res.writeHead(status, headers).end(body);
  };
}

/** A handler that never answers (the connection stays open until the receiver closes). */
export const neverAnswer: Handler = () => {};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The deliveries of a run, from the delivery log API. */
export async function deliveriesOf(server: WebhookServer, runId: string): Promise<any[]> {
  const { status, body } = await server.api(`/webhooks/deliveries?run_id=${runId}`);
  if (status !== 200) throw new Error(`GET /webhooks/deliveries answered ${status}`);
  return body;
}

/** A delivery's detail once it satisfies `done` (default: no longer pending). */
export async function settledDelivery(server: WebhookServer, runId: string, done = (d: any) => d.status !== "pending", timeoutMs = 10_000): Promise<any> {
  return eventually(
    async () => {
      const [summary] = await deliveriesOf(server, runId);
      if (!summary) return undefined;
      const { body } = await server.api(`/webhooks/deliveries/${summary.delivery_id}`);
      return done(body) ? body : undefined;
    },
    timeoutMs,
    `the delivery of run ${runId}`,
  );
}

export const HUMAN = (content: string) => ({ messages: [{ role: "human", content }] });
