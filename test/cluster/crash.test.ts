import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster, type ClusterProcess } from "../helpers/cluster.js";
import { deliveriesLeasedBy, eventually, FINAL, inBatches, runningOn, startLedger, type WebhookLedger } from "./support.js";

/**
 * Webhooks to loopback, retried every second. timeout_seconds bounds a delivery's lease (deliveries
 * have no heartbeat: the lease covers the longest attempt, 4 × timeout + 60 s), so a killed
 * process's claimed deliveries are due again about a minute after their claim instead of three.
 */
const WEBHOOKS = JSON.stringify({
  url: { disable_loopback: false, disable_private_ips: false },
  retry: { schedule: [1, 1, 1, 1, 1, 1, 1, 1] },
  timeout_seconds: 0.5,
});

const RUNS = 300;

let cluster: Cluster;
let ledger: WebhookLedger;
/** What the first test's kill left for the second to check. */
let state: { killedAt: number; lostDeliveries: string[] } | undefined;

beforeAll(async () => {
  // Answers after 100 ms: deliveries are in flight (leased) long enough for the kill to catch some.
  ledger = await startLedger(100);
  cluster = await startCluster(["serve", "serve", "serve"], { leaseSeconds: 2, env: { LANGGRAPH_WEBHOOKS: WEBHOOKS } });
});

afterAll(async () => {
  await cluster?.dispose();
  await ledger?.close();
});

describe("three serve processes, one SIGKILLed mid-way", () => {
  it("every run ends once, every webhook arrives once per run, none is sent by two processes at once", { timeout: 150_000 }, async () => {
    const [a, b, victim] = cluster.processes;
    let live: ClusterProcess[] = [a, b, victim];
    let killedAt = 0;
    let heldAtKill = 0;
    let lostDeliveries: string[] = [];

    // Mid-way through the creations: the victim is executing runs and holds deliveries, so both
    // of its queues lose work in flight; the creations go on through the survivors.
    const killer = eventually(
      async () => {
        if (created.length < RUNS / 3 || (await runningOn(cluster, victim)) < 3) return undefined;
        if ((await deliveriesLeasedBy(cluster, victim)).length === 0) return undefined;
        live = [a, b];
        heldAtKill = await runningOn(cluster, victim);
        killedAt = Date.now();
        await victim.stop("SIGKILL");
        // What it lost: deliveries claimed and not recorded (sent or not), as the database has them.
        lostDeliveries = await deliveriesLeasedBy(cluster, victim);
        return true;
      },
      90_000,
      "the victim executing runs and sending webhooks a third of the way in",
      20,
    );

    // Round-robin over the live API ports, each run on a thread of its own (all may run at once).
    // A create that fails (sent to the victim as it died) is made again on a survivor.
    const created: { threadId: string; runId: string }[] = [];
    let failedCreates = 0;
    await inBatches(Array.from({ length: RUNS }), 6, async (_, i) => {
      for (let tries = 0; ; tries++) {
        const api = live[(i + tries) % live.length];
        const threadId = randomUUID();
        try {
          const run = await api.client.runs.create(threadId, "slow", {
            input: {},
            config: { configurable: { delay_ms: 100 } },
            webhook: ledger.url,
            ifNotExists: "create",
          });
          created.push({ threadId, runId: run.run_id });
          return;
        } catch (error) {
          if (api !== victim || tries > 3) throw error;
          failedCreates++;
        }
      }
    });
    await killer;
    expect(created.length).toBe(RUNS);

    // Every run the database holds: the acknowledged ones, and any whose answer the kill cut off.
    const stored = await cluster.query<{ run_id: string; thread_id: string }>("SELECT run_id, thread_id FROM runs");
    expect(stored.map((row) => row.run_id)).toEqual(expect.arrayContaining(created.map((run) => run.runId)));
    expect(stored.length).toBeLessThanOrEqual(RUNS + failedCreates);

    await ledger.waitForRuns(
      stored.map((row) => row.run_id),
      120_000,
    );
    const recoveredIn = Date.now() - killedAt;

    // Read through the survivors: every run ended, and successfully (the slow graph cannot fail).
    const statuses = await inBatches(stored, 10, async (row, i) => (await [a, b][i % 2].client.runs.get(row.thread_id, row.run_id)).status);
    expect(statuses.filter((status) => !FINAL.has(status))).toEqual([]);
    expect(new Set(statuses)).toEqual(new Set(["success"]));

    // One delivery per run (a run finished twice would have two, with two webhook-ids), each for a success.
    const twice = [...ledger.idsByRun()].filter(([, ids]) => ids.size !== 1);
    expect(twice).toEqual([]);
    expect(ledger.entries.filter((entry) => entry.status !== "success")).toEqual([]);
    // A delivery may be sent again after a crash (at least once), but never by two processes at once.
    expect(ledger.overlaps).toEqual([]);
    const deliveries = await cluster.query<{ n: number }>("SELECT count(*)::int AS n FROM webhook_deliveries");
    expect(deliveries[0].n).toBe(stored.length);
    // What the victim had claimed and not recorded was either received before it died, or sent
    // again since; until their leases lapse, those rows stay its (pending) and nobody else sends them.
    const receivedBy = (id: string, before: boolean) => ledger.entries.some((e) => e.webhookId === id && (e.startedAt < killedAt) === before);
    expect(lostDeliveries.filter((id) => !receivedBy(id, true) && !receivedBy(id, false))).toEqual([]);
    const open = await cluster.query<{ delivery_id: string; lease_owner: string | null }>(
      "SELECT delivery_id, lease_owner FROM webhook_deliveries WHERE status <> 'succeeded'",
    );
    expect(open.filter((row) => !row.lease_owner?.includes(`:${victim.pid}:`))).toEqual([]);

    // The runs the victim held were taken back and executed again. A third attempt only follows a
    // survivor losing a lease (its heartbeat later than the 2 s lease on this loaded machine), which
    // it logs; the fenced finish still records one end, and one webhook, per run.
    const attempts = await cluster.query<{ attempt: number; n: number }>("SELECT attempt, count(*)::int AS n FROM runs GROUP BY attempt");
    const retried = attempts.filter((row) => row.attempt > 1).reduce((sum, row) => sum + row.n, 0);
    expect(retried).toBeGreaterThanOrEqual(heldAtKill);
    const leasesLost = [a, b].map((survivor) => survivor.output().split("\n").filter((line) => line.includes("lease could not be renewed")).length);
    const third = attempts.filter((row) => row.attempt > 2).reduce((sum, row) => sum + row.n, 0);
    expect(third).toBeLessThanOrEqual(leasesLost[0] + leasesLost[1]);

    for (const survivor of [a, b]) {
      expect(survivor.child.exitCode).toBeNull();
      expect((await fetch(`${survivor.url}/ok`)).status).toBe(200);
    }
    console.log(
      `crash: killed holding ${heldAtKill} runs and ${lostDeliveries.length} deliveries; every webhook ${recoveredIn} ms after the kill; ` +
        `${ledger.entries.length} requests for ${stored.length} runs; attempts ${JSON.stringify(attempts)}; survivors lost ${leasesLost.join(" + ")} leases`,
    );
    state = { killedAt, lostDeliveries };
  });

  it("the dead process's claimed deliveries are taken over once their lease lapses: the outbox drains", { timeout: 120_000 }, async () => {
    expect(state).toBeDefined();
    const { killedAt, lostDeliveries } = state!;
    // The lease is 4 × timeout_seconds + 60 s from the claim: a minute after the kill at most.
    await eventually(
      async () => {
        const [row] = await cluster.query<{ n: number }>("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded'");
        return row.n === 0 ? true : undefined;
      },
      100_000,
      "every delivery succeeded",
      500,
    );
    const drainedIn = Date.now() - killedAt;
    // Each one the victim lost was sent (again) after it died, under its own webhook-id, and still
    // never two at once; one webhook-id per run.
    const sentAfterKill = new Set(ledger.entries.filter((entry) => entry.startedAt > killedAt).map((entry) => entry.webhookId));
    expect(lostDeliveries.filter((id) => !sentAfterKill.has(id))).toEqual([]);
    expect(ledger.overlaps).toEqual([]);
    expect([...ledger.idsByRun()].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    // Recorded once each: one attempt row per delivery, however often the dead one had sent it.
    const attempts = await cluster.query<{ delivery_id: string; n: number }>(
      "SELECT delivery_id, count(*)::int AS n FROM webhook_attempts GROUP BY delivery_id HAVING count(*) <> 1",
    );
    expect(attempts).toEqual([]);
    console.log(`crash: the outbox drained ${drainedIn} ms after the kill (${lostDeliveries.length} deliveries waited for the dead lease)`);
  });
});
