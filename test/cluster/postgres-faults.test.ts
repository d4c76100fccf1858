import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../helpers/cluster.js";
import { eventually, expectAlive, FINAL, inBatches, sleep, startLedger, terminateConnections, type WebhookLedger } from "./support.js";

const RUNS = 150;

/** What pg says when a connection dies under a query, or a query is sent on a connection that died. */
const CONNECTION_LOST = /terminating connection due to administrator command|Connection terminated|not queryable|ECONNRESET|EPIPE/;

let cluster: Cluster;
let ledger: WebhookLedger;

beforeAll(async () => {
  ledger = await startLedger(20);
  // Every role: the API's requests, the worker's queue and the serve process's both lose their connections.
  cluster = await startCluster(["serve", "api", "worker"], { leaseSeconds: 3 });
});

afterAll(async () => {
  await cluster?.dispose();
  await ledger?.close();
});

describe("every PostgreSQL connection of the cluster terminated under load", () => {
  it("processes reconnect; every acknowledged run ends, every webhook arrives, no process dies", { timeout: 110_000 }, async () => {
    const apis = cluster.processes.filter((process) => process.role !== "worker");
    const acknowledged: { threadId: string; runId: string }[] = [];
    let refused = 0;
    let creating = true;
    const terminations: number[] = [];
    // Three times while runs are created, executed and their webhooks sent.
    const faults = (async () => {
      for (const after of [RUNS / 5, RUNS / 2, (RUNS * 4) / 5]) {
        await eventually(() => (acknowledged.length >= after || !creating ? true : undefined), 60_000, `${after} runs created`, 10);
        terminations.push(await terminateConnections(cluster));
        await sleep(300);
      }
    })();
    try {
      await inBatches(Array.from({ length: RUNS }), 4, async (_, i) => {
        expectAlive(cluster);
        const threadId = randomUUID();
        try {
          const run = await apis[i % apis.length].client.runs.create(threadId, "slow", {
            input: {},
            config: { configurable: { delay_ms: 50 } },
            webhook: ledger.url,
            ifNotExists: "create",
          });
          acknowledged.push({ threadId, runId: run.run_id });
        } catch {
          // Its connection was cut mid-request: the client saw an error (the run may or may not exist).
          refused++;
        }
      });
    } finally {
      creating = false;
      // Settled before the test goes on, or fails: the fault loop must not outlive the cluster.
      await faults.catch(() => {});
    }
    await faults;
    expect(terminations.every((count) => count > 0)).toBe(true);

    // Every run the database holds, acknowledged or not, ends and has its webhook.
    const stored = await cluster.query<{ run_id: string; thread_id: string }>("SELECT run_id, thread_id FROM runs");
    expect(stored.map((row) => row.run_id)).toEqual(expect.arrayContaining(acknowledged.map((run) => run.runId)));
    await ledger.waitForRuns(
      stored.map((row) => row.run_id),
      60_000,
    );
    const statuses = await inBatches(stored, 8, async (row, i) => (await apis[i % apis.length].client.runs.get(row.thread_id, row.run_id)).status);
    expect(statuses.filter((status) => !FINAL.has(status))).toEqual([]);
    const counts = statuses.reduce<Record<string, number>>((all, status) => ({ ...all, [status]: (all[status] ?? 0) + 1 }), {});
    console.log(`postgres faults: terminated ${terminations.join(", ")} connections; ${acknowledged.length} acknowledged, ${refused} refused; ${JSON.stringify(counts)}`);
    // A run fails only where its graph's own checkpoint write lost its connection (the checkpointer
    // does not retry, and the worker records the graph's error): nothing else goes wrong.
    const failed = await cluster.query<{ run_id: string }>("SELECT run_id FROM runs WHERE status <> 'success'");
    for (const { run_id } of failed) {
      const webhook = ledger.entries.find((entry) => entry.runId === run_id)!;
      expect(webhook.status).toBe("error");
      expect(webhook.error?.message).toMatch(CONNECTION_LOST);
    }
    expect(counts.success).toBeGreaterThanOrEqual(stored.length - failed.length);
    expect([...ledger.idsByRun()].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    expect(ledger.overlaps).toEqual([]);

    for (const process of cluster.processes) {
      expect(process.child.exitCode).toBeNull();
      const response = await fetch(`${process.url}/ok?check_db=1`);
      expect(response.status).toBe(200);
    }
  });
});
