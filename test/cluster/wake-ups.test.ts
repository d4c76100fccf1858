import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../helpers/cluster.js";
import { sleep } from "./support.js";

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster(["api", "worker"]);
});

afterAll(() => cluster?.dispose());

const RUNS = 20;

describe("wake-ups cross processes", () => {
  it("a run created through the api process starts on the worker at once, not at the 2 s safety poll", async () => {
    const [api, worker] = cluster.processes;
    const thread = await api.client.threads.create();
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await api.client.runs.create(thread.thread_id, "echo", { input: { messages: [{ role: "human", content: `wake ${i}` }] } });
      runIds.push(run.run_id);
      await api.client.runs.join(thread.thread_id, run.run_id);
      // Spread over the safety poll's period, so a lost wake-up cannot keep hitting its tick.
      await sleep(37 + ((i * 89) % 200));
    }
    // Both stamps on this machine's clock: created_at by the api process, started_at by the worker's claim.
    const rows = await cluster.query<{ run_id: string; wait_ms: number; lease_owner: string | null; status: string }>(
      `SELECT run_id, status, extract(epoch FROM (started_at - created_at)) * 1000 AS wait_ms FROM runs WHERE run_id = ANY($1::text[])`,
      [runIds],
    );
    expect(rows).toHaveLength(RUNS);
    expect(rows.every((row) => row.status === "success")).toBe(true);
    const waits = rows.map((row) => Number(row.wait_ms)).sort((a, b) => a - b);
    const p50 = waits[Math.floor(RUNS / 2)];
    const p90 = waits[Math.floor(RUNS * 0.9)];
    console.log(`wake-ups: create → claim on the worker p50 ${p50.toFixed(0)} ms, p90 ${p90.toFixed(0)} ms, max ${waits.at(-1)!.toFixed(0)} ms`);
    // Woken by the signal: a run waiting for the safety poll would wait ~1 s on average.
    expect(p50).toBeLessThan(300);
    expect(p90).toBeLessThan(1_000);
    expect(worker.child.exitCode).toBeNull();
  });
});
