import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster, type ClusterProcess } from "../helpers/cluster.js";
import { collect } from "../runs/support.js";
import { eventually, runningOn } from "./support.js";

let cluster: Cluster;
let api: ClusterProcess;

beforeAll(async () => {
  cluster = await startCluster(["api"]);
  [api] = cluster.processes;
});

afterAll(() => cluster?.dispose());

const slow = (delayMs: number) => ({ input: {}, config: { configurable: { delay_ms: delayMs } } });

/** Polls `/ok` from the moment of the signal until it answers draining (the window is the drain's length). */
async function drainingAnswer(process: ClusterProcess): Promise<{ status: number; body: unknown }> {
  return eventually(
    async () => {
      const response = await fetch(`${process.url}/ok`);
      const body = await response.json();
      return response.status === 503 ? { status: response.status, body } : undefined;
    },
    10_000,
    "/ok answering draining",
    10,
  );
}

/** The `attempt` of each `metadata` event in the run's stream: one per execution. */
async function executions(threadId: string, runId: string): Promise<unknown[]> {
  const parts = await collect(api.client.runs.joinStream(threadId, runId));
  return parts.filter((part) => part.event === "metadata").map((part) => (part.data as { attempt: unknown }).attempt);
}

async function stored(runId: string): Promise<{ status: string; attempt: number; ended_at: Date | null }> {
  const [row] = await cluster.query<{ status: string; attempt: number; ended_at: Date | null }>(
    "SELECT status, attempt, ended_at FROM runs WHERE run_id = $1",
    [runId],
  );
  return row;
}

describe("SIGTERM on a worker executing a run", () => {
  it("with a grace long enough, /ok answers draining and the run finishes on that worker, which then exits 0", { timeout: 60_000 }, async () => {
    // The only worker: a run handed back would stay pending, so success means it finished here.
    const worker = await cluster.start("worker", { args: ["--shutdown-grace", "30"] });
    const thread = await api.client.threads.create();
    const run = await api.client.runs.create(thread.thread_id, "slow", slow(600));
    await eventually(async () => ((await runningOn(cluster, worker)) === 1 ? true : undefined), 15_000, "the run on the worker", 20);

    const signalledAt = Date.now();
    const exited = worker.stop("SIGTERM");
    const answer = await drainingAnswer(worker);
    expect(answer.body).toEqual({ ok: false, draining: true });
    expect(await exited).toBe(0);
    const exitedAt = Date.now();

    const row = await stored(run.run_id);
    expect(row.status).toBe("success");
    expect(row.attempt).toBe(1);
    // It ended while the worker was still there, after the signal.
    expect(row.ended_at!.getTime()).toBeGreaterThan(signalledAt);
    expect(row.ended_at!.getTime()).toBeLessThanOrEqual(exitedAt);
    expect(await executions(thread.thread_id, run.run_id)).toEqual([1]);
    expect((await api.client.threads.getState(thread.thread_id)).values).toEqual({ ticks: 5 });
  });

  it("with a short grace, the run is handed back without spending an attempt and completes on another worker; the stopped one exits 0", { timeout: 90_000 }, async () => {
    const [stopping, other] = await Promise.all([cluster.start("worker", { args: ["--shutdown-grace", "1"] }), cluster.start("worker")]);
    // Paused while the run is created and claimed, so the run cannot go to it first.
    other.child.kill("SIGSTOP");
    const thread = await api.client.threads.create();
    // Five steps of 1.5 s: still running when the grace and the drain window are over.
    const run = await api.client.runs.create(thread.thread_id, "slow", slow(1_500));
    try {
      await eventually(async () => ((await runningOn(cluster, stopping)) === 1 ? true : undefined), 15_000, "the run on the stopping worker", 20);
    } finally {
      other.child.kill("SIGCONT");
    }
    expect((await stored(run.run_id)).status).toBe("running");
    expect(await runningOn(cluster, stopping)).toBe(1);

    const exited = stopping.stop("SIGTERM");
    expect((await drainingAnswer(stopping)).body).toEqual({ ok: false, draining: true });
    expect(await exited).toBe(0);
    // Handed back at once (pending, its attempt given back), not left to a lease to lapse.
    await eventually(async () => ((await runningOn(cluster, other)) === 1 ? true : undefined), 10_000, "the run on the other worker", 20);
    expect((await stored(run.run_id)).attempt).toBe(1);

    const values = await api.client.runs.join(thread.thread_id, run.run_id);
    expect(values).toEqual({ ticks: 5 });
    const row = await stored(run.run_id);
    expect(row.status).toBe("success");
    expect(row.attempt).toBe(1);
    // Two executions, both attempt 1: the handing back spent none.
    expect(await executions(thread.thread_id, run.run_id)).toEqual([1, 1]);
    expect(stopping.output()).not.toMatch(/"level":(50|60)/);
  });
});
