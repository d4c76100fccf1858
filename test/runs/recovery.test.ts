import { afterEach, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { startCli, type CliProcess } from "../helpers/cli.js";
import { RUNS_CONFIG, SLOW, eventually, toPart, type Part } from "./support.js";

// The compiled CLI (`npm run build`), killed with SIGKILL and started again on the same data dir.

const processes: CliProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(processes.splice(0).map((cli) => cli.stop("SIGKILL")));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, extra: string[] = []): Promise<{ cli: CliProcess; client: Client }> {
  const cli = await startCli(["dev", "--port", "0", "--data-dir", dataDir, "--config", RUNS_CONFIG, "--log-level", "error", ...extra]);
  processes.push(cli);
  return { cli, client: new Client({ apiUrl: cli.url }) };
}

async function kill(cli: CliProcess): Promise<void> {
  await cli.stop("SIGKILL");
  processes.splice(processes.indexOf(cli), 1);
}

/** The first event of the run's joined stream (the metadata event), then leaves. */
async function firstEvent(client: Client, threadId: string, runId: string): Promise<Part> {
  const controller = new AbortController();
  try {
    for await (const part of client.runs.joinStream(threadId, runId, { signal: controller.signal })) {
      controller.abort();
      return toPart(part);
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  throw new Error("the joined stream ended without an event");
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-recovery-"));
  dirs.push(dir);
  return dir;
}

describe("crash recovery", () => {
  test("a running run is resumed from its last checkpoint (attempt 2); a pending one runs after", { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    let { cli, client } = await start(dataDir);
    const thread = await client.threads.create();
    const slow = await client.runs.create(thread.thread_id, "slow", { input: {}, streamMode: ["updates"], config: SLOW(500) });
    // Same graph: the thread's state is read through the graph of its latest run.
    const queued = await client.runs.create(thread.thread_id, "slow", { input: {}, config: SLOW(10) });
    // Killed after two of its five ticks were checkpointed.
    await eventually(
      () => client.threads.getHistory(thread.thread_id, { limit: 20 }),
      (history) => history.some((state) => (state.values as { ticks?: number }).ticks === 2),
      20_000,
    );
    await kill(cli);

    ({ cli, client } = await start(dataDir));
    const parts: Part[] = [];
    for await (const part of client.runs.joinStream(thread.thread_id, slow.run_id)) parts.push(toPart(part));
    expect(parts[0]).toMatchObject({ event: "metadata", data: { run_id: slow.run_id, attempt: 2 } });
    const ticks = parts.filter((part) => part.event === "updates");
    // Resumed, not restarted: at most the tick in flight at the kill runs again.
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(3);
    expect((await client.runs.get(thread.thread_id, slow.run_id)).status).toBe("success");

    const history = await client.threads.getHistory(thread.thread_id, { limit: 100 });
    const ofSlow = history.filter((state) => state.metadata?.run_id === slow.run_id);
    expect(ofSlow.filter((state) => state.metadata?.source === "input")).toHaveLength(1);
    expect(ofSlow.map((state) => (state.values as { ticks: number }).ticks)[0]).toBe(5);

    // The queued run starts at five ticks and stops after one more.
    expect(await client.runs.join(thread.thread_id, queued.run_id)).toEqual({ ticks: 6 });
    expect((await client.runs.get(thread.thread_id, queued.run_id)).status).toBe("success");
  });

  test("a run killed three times ends with status error, never left running", { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    // Four starts: graphs on the main thread start faster than with worker threads.
    const fast = ["--workers", "0"];
    let { cli, client } = await start(dataDir, fast);
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "slow", { input: {}, config: SLOW(5_000) });
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const first = await firstEvent(client, thread.thread_id, run.run_id);
      expect(first).toMatchObject({ event: "metadata", data: { attempt } });
      expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("running");
      await kill(cli);
      ({ cli, client } = await start(dataDir, fast));
    }
    expect((await client.runs.get(thread.thread_id, run.run_id)).status).toBe("error");
    expect((await client.threads.get(thread.thread_id)).status).toBe("error");
    expect(await client.runs.join(thread.thread_id, run.run_id)).toEqual({
      __error__: { error: "RunAttemptsExhausted", message: expect.stringContaining("3 times") },
    });
  });
});

describe("graceful stop (SIGTERM)", () => {
  test("a run that ends within the grace ends on the stopping process, which then exits 0", { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    const { cli, client } = await start(dataDir, ["--workers", "0", "--shutdown-grace", "20"]);
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "slow", { input: {}, config: SLOW(300) });
    await firstEvent(client, thread.thread_id, run.run_id);
    const exited = cli.stop("SIGTERM");
    processes.splice(processes.indexOf(cli), 1);
    expect(await exited).toBe(0);

    const restarted = await start(dataDir, ["--workers", "0"]);
    expect((await restarted.client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    expect(await restarted.client.runs.join(thread.thread_id, run.run_id)).toEqual({ ticks: 5 });
  });

  test("a run still going at the end of the grace stops at a step boundary and is handed back without spending an attempt", { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    const { cli, client } = await start(dataDir, ["--workers", "0", "--shutdown-grace", "1"]);
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "slow", { input: {}, streamMode: ["updates"], config: SLOW(800) });
    await eventually(
      () => client.threads.getHistory(thread.thread_id, { limit: 20 }),
      (history) => history.some((state) => (state.values as { ticks?: number }).ticks === 1),
      20_000,
    );
    const exited = cli.stop("SIGTERM");
    processes.splice(processes.indexOf(cli), 1);
    expect(await exited).toBe(0);

    const restarted = await start(dataDir, ["--workers", "0"]);
    const parts: Part[] = [];
    for await (const part of restarted.client.runs.joinStream(thread.thread_id, run.run_id)) parts.push(toPart(part));
    // Still the first attempt: a hand-back is not a failure.
    expect(parts[0]).toMatchObject({ event: "metadata", data: { run_id: run.run_id, attempt: 1 } });
    expect((await restarted.client.runs.get(thread.thread_id, run.run_id)).status).toBe("success");
    // Continued from the boundary it stopped at, not restarted: one input checkpoint, each tick once
    // (input and first loop step both at 0), and the restarted process ran only the ticks left.
    const history = await restarted.client.threads.getHistory(thread.thread_id, { limit: 100 });
    const ofRun = history.filter((state) => state.metadata?.run_id === run.run_id);
    expect(ofRun.filter((state) => state.metadata?.source === "input")).toHaveLength(1);
    expect(ofRun.map((state) => (state.values as { ticks: number }).ticks)).toEqual([5, 4, 3, 2, 1, 0, 0]);
    expect(parts.filter((part) => part.event === "updates").length).toBeLessThanOrEqual(4);
  });
});
