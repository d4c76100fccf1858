import { rmSync } from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { openSqliteStorage, type SqliteStorage } from "../../src/storage/sqlite/index.js";
import { systemAssistantId } from "../../src/storage/system-assistant.js";
import { RunStreams } from "../../src/bus/run-streams.js";
import type { RunWorker } from "../../src/queue/run-worker.js";
import { createCron } from "../../src/crons/service.js";
import type { RunServiceDeps } from "../../src/runs/create-run.js";
import { tempDataDir } from "../helpers/server.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { sleep } from "../api/support.js";

/** Schedulers sharing one database file, each on its own connection: every due time must become exactly one run. */
const SCHEDULER_PROCESS = fileURLToPath(new URL("./scheduler-process.ts", import.meta.url));
const opened: SqliteStorage[] = [];
const running: ChildProcess[] = [];
let dataDir: string | undefined;
afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const storage of opened.splice(0)) await storage.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function connect(dir: string): SqliteStorage {
  const storage = openSqliteStorage(dir);
  opened.push(storage);
  return storage;
}

/** Run creation with real storage; created runs stay pending (no worker executes them here). */
function runService(storage: SqliteStorage): RunServiceDeps {
  const worker = { wake: () => {}, cancel: async () => false } as unknown as RunWorker;
  return { storage, worker, streams: new RunStreams(), checkWebhookUrl: () => {} };
}

describe("claiming a firing", () => {
  test("of two connections that read the same due time, exactly one claims it", async () => {
    dataDir = tempDataDir();
    const [a, b] = [connect(dataDir), connect(dataDir)];
    await a.assistants.ensureSystem(["echo"]);
    const cron = await createCron(runService(a), undefined, { assistant_id: "echo", schedule: "* * * * * *" });
    await sleep(Date.parse(cron.next_run_date!) - Date.now() + 5);

    const [seenByA, seenByB] = [await a.crons.due(new Date(), 10), await b.crons.due(new Date(), 10)];
    expect(seenByA.map((c) => c.next_run_date)).toEqual([cron.next_run_date]);
    expect(seenByB.map((c) => c.next_run_date)).toEqual([cron.next_run_date]);
    const next = new Date(Date.parse(cron.next_run_date!) + 1000).toISOString();
    const claims = [await b.crons.claim(cron.cron_id, cron.next_run_date!, next), await a.crons.claim(cron.cron_id, cron.next_run_date!, next)];
    expect(claims).toEqual([true, false]);
    expect((await a.crons.get(cron.cron_id))!.next_run_date).toBe(next);
    // A disabled cron cannot be claimed, whatever was read before.
    await a.crons.update(cron.cron_id, { enabled: false });
    expect(await b.crons.claim(cron.cron_id, next, null)).toBe(false);
  });

  test("three scheduler processes sharing the database fire each due time once", async () => {
    dataDir = tempDataDir();
    const storage = connect(dataDir);
    await storage.assistants.ensureSystem(["echo"]);
    const threadId = (await storage.threads.create({})).thread_id;
    const cron = await createCron(runService(storage), threadId, { assistant_id: "echo", schedule: "* * * * * *" });

    const processes = await Promise.all([0, 1, 2].map(() => startSchedulerProcess(dataDir!)));
    const allReady = Date.now();
    await sleep(3_300);
    await Promise.all(processes.map((child) => child.stop()));

    const runs = await storage.runs.list(threadId, { limit: 100, offset: 0 });
    expect(runs.every((run) => run.metadata.cron_id === cron.cron_id && run.assistant_id === systemAssistantId("echo"))).toBe(true);
    const times = runs.map((run) => run.metadata.cron_scheduled_at as string);
    // Every due time while all three ran became a run, and no due time became two.
    expect(times.filter((at) => Date.parse(at) > allReady).length).toBeGreaterThanOrEqual(3);
    expect(new Set(times).size).toBe(times.length);
  });
});

interface SchedulerProcess {
  stop(): Promise<void>;
}

function startSchedulerProcess(dir: string): Promise<SchedulerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SCHEDULER_PROCESS, dir], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  running.push(child);
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve({ stop: () => (child.kill("SIGTERM"), exited) });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => reject(new Error(`scheduler process exited before it was ready:\n${output}`)));
  });
}
