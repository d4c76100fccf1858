import { afterAll, describe, expect, it } from "vitest";
import { Client } from "@langchain/langgraph-sdk";
import { startCli, type CliProcess } from "../helpers/cli.js";
import { startCluster, type Cluster } from "../helpers/cluster.js";
import { createTestDatabase, REDIS_URI } from "../helpers/postgres.js";
import { FIXTURE_CONFIG } from "../helpers/server.js";
import { tempDataDir } from "../helpers/temp.js";
import { embeddedEnv, runHookgraph } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SERVER_FLAGS = ["--config", FIXTURE_CONFIG, "--port", "0", "--workers", "0", "--log-level", "warn"];

describe("the embedded data dir has one owner", () => {
  it("a second `dev` on the dir exits non-zero naming the first's pid; once the first is SIGKILLed a new one starts", { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir();
    const env = embeddedEnv();
    const devArgs = ["dev", ...SERVER_FLAGS, "--data-dir", dataDir];
    const processes: CliProcess[] = [];
    cleanups.push(() => Promise.all(processes.map((process) => process.stop("SIGKILL"))));

    const first = await startCli(devArgs, { env });
    processes.push(first);
    const second = await runHookgraph(devArgs, env);
    expect(second.code).not.toBe(0);
    expect(second.output).toContain(`pid ${first.child.pid}`);
    expect(second.output).not.toContain("listening on");
    // The refusal touched nothing: the first still serves.
    expect((await fetch(`${first.url}/ok`)).status).toBe(200);

    // SIGKILL: no chance to release anything; the kernel drops the lock with the process.
    await first.stop("SIGKILL");
    const third = await startCli(devArgs, { env });
    processes.push(third);
    expect(third.child.pid).not.toBe(first.child.pid);
    const client = new Client({ apiUrl: third.url });
    const thread = await client.threads.create();
    expect(await client.runs.wait(thread.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: 1 } } })).toEqual({ ticks: 5 });
  });
});

describe("start-up races on a fresh database", () => {
  let cluster: Cluster | undefined;
  cleanups.push(async () => cluster?.dispose());

  it("five processes started at the same moment all come up: migrations and the checkpointer's setup are serialised", { timeout: 110_000 }, async () => {
    cluster = await startCluster([]);
    const started = await Promise.allSettled([
      cluster.start("serve"),
      cluster.start("serve"),
      cluster.start("api"),
      cluster.start("worker"),
      cluster.start("worker"),
    ]);
    const failures = started.flatMap((outcome) => (outcome.status === "rejected" ? [String(outcome.reason)] : []));
    expect(failures).toEqual([]);
    for (const process of cluster.processes) {
      expect((await fetch(`${process.url}/ok?check_db=1`)).status).toBe(200);
      expect(process.output()).not.toMatch(/"level":(50|60)/);
    }
    // Each migration applied once, and the checkpointer's tables exist (its setup ran to its end).
    const migrations = await cluster.query<{ id: number; n: number }>("SELECT id, count(*)::int AS n FROM schema_migrations GROUP BY id");
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.every((row) => row.n === 1)).toBe(true);
    const tables = await cluster.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'checkpoint%'",
    );
    expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(["checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"]));

    // Each API process serves a run end to end (executed by any queue process).
    for (const process of cluster.processes.filter((p) => p.role !== "worker")) {
      const thread = await process.client.threads.create();
      expect(await process.client.runs.wait(thread.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: 1 } } })).toEqual({ ticks: 5 });
    }
  });
});

describe("refusals at start", () => {
  it("PostgreSQL without Redis refuses to start, naming REDIS_URI", async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    for (const command of ["serve", "api", "worker"]) {
      const { code, output } = await runHookgraph([command, ...SERVER_FLAGS], embeddedEnv({ DATABASE_URI: database.uri }));
      expect(code, command).not.toBe(0);
      expect(output, command).toContain("REDIS_URI");
      expect(output, command).not.toContain("listening on");
    }
  });

  it("`hookgraph worker` and `hookgraph api` without DATABASE_URI refuse, naming it", async () => {
    for (const command of ["worker", "api"]) {
      // Redis alone is no shared backend: the embedded database has one process.
      const { code, output } = await runHookgraph([command, ...SERVER_FLAGS, "--data-dir", tempDataDir()], embeddedEnv({ REDIS_URI }));
      expect(code, command).not.toBe(0);
      expect(output, command).toContain("DATABASE_URI");
      expect(output, command).not.toContain("listening on");
    }
  });
});
