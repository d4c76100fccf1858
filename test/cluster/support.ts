import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { CLI, REPO_ROOT } from "../helpers/cli.js";
import { startReceiver, type Receiver } from "../webhooks/receiver.js";
import type { Cluster, ClusterProcess } from "../helpers/cluster.js";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it answers something other than undefined; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      // A process restarting, a connection being cut: the next poll tries again.
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
    await sleep(everyMs);
  }
}

/** One webhook request as the ledger saw it. */
export interface LedgerEntry {
  webhookId: string;
  runId: string;
  status: string;
  /** The payload's `error` (runs that failed). */
  error?: { error: string; message: string } | null;
  startedAt: number;
  endedAt?: number;
}

/**
 * A webhook receiver that answers 200 after `delayMs` and keeps, per `webhook-id`, every request
 * and whether two were ever in flight at once (two processes sending one delivery side by side).
 */
export interface WebhookLedger {
  receiver: Receiver;
  url: string;
  entries: LedgerEntry[];
  /** webhook-ids that were received while a request with the same id was still unanswered. */
  overlaps: string[];
  /** Distinct webhook-ids per run_id. */
  idsByRun(): Map<string, Set<string>>;
  /** Resolves once every one of `runIds` has had a webhook. */
  waitForRuns(runIds: readonly string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startLedger(delayMs: number): Promise<WebhookLedger> {
  const entries: LedgerEntry[] = [];
  const overlaps: string[] = [];
  const inFlight = new Map<string, number>();
  const receiver = await startReceiver((req, res) => {
    const webhookId = String(req.headers["webhook-id"]);
    const payload = JSON.parse(req.body) as { run_id: string; status: string; error?: LedgerEntry["error"] };
    const entry: LedgerEntry = { webhookId, runId: payload.run_id, status: payload.status, error: payload.error, startedAt: Date.now() };
    entries.push(entry);
    const open = inFlight.get(webhookId) ?? 0;
    if (open > 0) overlaps.push(webhookId);
    inFlight.set(webhookId, open + 1);
    // "close" fires whether the answer was sent or the sender hung up (a killed process).
    res.once("close", () => {
      entry.endedAt = Date.now();
      const left = (inFlight.get(webhookId) ?? 1) - 1;
      if (left > 0) inFlight.set(webhookId, left);
      else inFlight.delete(webhookId);
    });
    setTimeout(() => res.writeHead(200).end("ok"), delayMs);
  });
  const idsByRun = () => {
    const byRun = new Map<string, Set<string>>();
    for (const entry of entries) {
      let ids = byRun.get(entry.runId);
      if (!ids) byRun.set(entry.runId, (ids = new Set()));
      ids.add(entry.webhookId);
    }
    return byRun;
  };
  return {
    receiver,
    url: `${receiver.origin}/hook`,
    entries,
    overlaps,
    idsByRun,
    waitForRuns: async (runIds, timeoutMs) => {
      await eventually(
        () => {
          const seen = new Set(entries.map((entry) => entry.runId));
          return runIds.every((id) => seen.has(id)) ? true : undefined;
        },
        timeoutMs,
        `webhooks of ${runIds.length} runs`,
        50,
      ).catch((error: Error) => {
        const seen = new Set(entries.map((entry) => entry.runId));
        throw new Error(`${error.message}: ${runIds.filter((id) => !seen.has(id)).length} runs have had none`);
      });
    },
    close: () => receiver.close(),
  };
}

/** A TCP port free on loopback just now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A Redis server of the test's own (never the machine's shared one), without persistence: a
 * restart loses every key, as a crashed Redis without AOF does.
 */
export interface PrivateRedis {
  uri: string;
  port: number;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
      started.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      started.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGKILL");
    await exited;
  };
  await launch();
  return { uri: `redis://127.0.0.1:${port}`, port, kill, restart: launch, stop: kill };
}

/** The cluster's runs held (status running) by one process, by the lease owner's pid. */
export async function runningOn(cluster: Cluster, process: ClusterProcess): Promise<number> {
  const [row] = await cluster.query<{ n: number }>("SELECT count(*)::int AS n FROM runs WHERE status = 'running' AND lease_owner LIKE $1", [
    `%:${process.pid}:%`,
  ]);
  return row.n;
}

/** Webhook deliveries one process holds a lease on (claimed, being attempted or not yet recorded). */
export async function deliveriesLeasedBy(cluster: Cluster, process: ClusterProcess): Promise<string[]> {
  const rows = await cluster.query<{ delivery_id: string }>(
    "SELECT delivery_id FROM webhook_deliveries WHERE lease_owner LIKE $1 AND lease_expires_at > now()",
    [`%:${process.pid}:%`],
  );
  return rows.map((row) => row.delivery_id);
}

/** Ends every connection to the cluster's database (and only its own database's). */
export async function terminateConnections(cluster: Cluster): Promise<number> {
  const rows = await cluster.query<{ terminated: boolean }>(
    "SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [cluster.database.name],
  );
  return rows.filter((row) => row.terminated).length;
}

/** The final statuses a run can reach. */
export const FINAL = new Set(["success", "error", "timeout", "interrupted"]);

/** Runs `task` for each item, at most `limit` at once (requests to the cluster without flooding two cores). */
export async function inBatches<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index], index);
      }
    }),
  );
  return results;
}

/** This test process's environment without the variables that pick the shared backend. */
export function embeddedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["DATABASE_URI", "REDIS_URI", "REDIS_KEY_PREFIX"]) delete env[name];
  return { ...env, ...extra };
}

/**
 * Runs `hookgraph <args>` to its exit with exactly `env` (runCli inherits this process's), for the
 * commands that refuse to start; killed after `timeoutMs` if it does start.
 */
export function runHookgraph(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

/** Fails at once, with its exit and last output, when a process of the cluster has died. */
export function expectAlive(cluster: Cluster): void {
  for (const process of cluster.processes) {
    const { exitCode, signalCode } = process.child;
    if (exitCode === null && signalCode === null) continue;
    throw new Error(`the ${process.role} process (pid ${process.pid}) died (${signalCode ?? `exit ${exitCode}`}):\n${process.output().slice(-3_000)}`);
  }
}
