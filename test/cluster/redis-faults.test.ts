import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../helpers/cluster.js";
import { collect, toPart } from "../runs/support.js";
import { eventually, expectAlive, FINAL, inBatches, sleep, startLedger, startPrivateRedis, type PrivateRedis, type WebhookLedger } from "./support.js";

const RUNS = 120;

let redis: PrivateRedis;
let cluster: Cluster;
let ledger: WebhookLedger;

beforeAll(async () => {
  // A Redis of this file's own: killing the machine's would break every other test running.
  redis = await startPrivateRedis();
  ledger = await startLedger(20);
  cluster = await startCluster(["serve", "api", "worker"], { leaseSeconds: 3, redisUri: redis.uri });
});

afterAll(async () => {
  await cluster?.dispose();
  await ledger?.close();
  await redis?.stop();
});

/** Resolves with the promise's value, or rejects naming `what` after `ms`: a wait that hangs fails the test. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => Promise.reject(new Error(`${what} still waiting after ${ms} ms`)))]);
}

describe("Redis SIGKILLed and restarted (empty) under load", () => {
  it("no acknowledged run is lost, every webhook arrives, waits and streams started before return, no process dies", { timeout: 110_000 }, async () => {
    const apis = cluster.processes.filter((process) => process.role !== "worker");
    const [serve, api] = apis;

    const acknowledged: { threadId: string; runId: string }[] = [];
    let refused = 0;
    let creating = true;
    // Runs waited for and joined before the kill: one ends while Redis is down (its end signal is
    // lost: only the database's safety poll can tell its waiter), one after the restart.
    const waits: { name: string; threadId: string; runId: string; waited: Promise<unknown>; joined: Promise<unknown[]> }[] = [];
    const startWaited = async (name: string, delayMs: number) => {
      const thread = await api.client.threads.create();
      const waited = api.client.runs.wait(thread.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: delayMs } } });
      waited.catch(() => {});
      const runId = await eventually(
        async () => (await cluster.query<{ run_id: string }>("SELECT run_id FROM runs WHERE thread_id = $1 AND status = 'running'", [thread.thread_id]))[0]?.run_id,
        15_000,
        `the ${name} run running`,
        20,
      );
      // Joined before the kill: the join has its first event (a join begun during the outage is refused).
      const parts: unknown[] = [];
      const joined = (async () => {
        for await (const part of serve.client.runs.joinStream(thread.thread_id, runId)) parts.push(toPart(part));
        return parts;
      })();
      joined.catch(() => {});
      await eventually(() => (parts.length > 0 ? true : undefined), 15_000, `the ${name} run's first event`, 10);
      waits.push({ name, threadId: thread.thread_id, runId, waited, joined });
    };
    const OUTAGE_MS = 4_000;
    const fault = (async () => {
      await eventually(() => (acknowledged.length >= RUNS / 3 || !creating ? true : undefined), 60_000, "a third of the runs created", 10);
      // Five steps of 300 ms: ends within the outage. Five of 1.5 s: ends after it.
      await startWaited("ending while Redis is down", 300);
      await startWaited("ending after the restart", 1_500);
      await redis.kill();
      await sleep(OUTAGE_MS);
      await redis.restart();
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
          refused++;
        }
        // Spread over the outage: some creations happen while Redis is down.
        await sleep(40);
      });
    } finally {
      creating = false;
      // Settled before the test goes on, or fails: the fault loop must not outlive the cluster.
      await fault.catch(() => {});
    }
    await fault;
    expectAlive(cluster);

    // The waits and joins started before the kill return: none hangs. The events published while
    // Redis was down are lost (and so, with an empty Redis, is what came before); a join whose run
    // ended meanwhile never sees its end and gives up after the bus's minute of grace for lost runs.
    const [endedDuring, endedAfter] = waits;
    for (const { name, waited } of waits) expect(await within(waited, 30_000, `runs.wait of the run ${name}`), name).toEqual({ ticks: 5 });
    const lastValues = (parts: unknown[]) => (parts as { event: string; data: unknown }[]).filter((part) => part.event === "values").at(-1)?.data;
    const afterParts = await within(endedAfter.joined, 30_000, `joinStream of the run ${endedAfter.name}`);
    expect(lastValues(afterParts)).toEqual({ ticks: 5 });
    const duringParts = await within(endedDuring.joined, 90_000, `joinStream of the run ${endedDuring.name}`);
    expect((duringParts[0] as { event: string } | undefined)?.event).toBe("metadata");
    const waitedRunIds = waits.map((wait) => wait.runId);
    const stored = await cluster.query<{ run_id: string; thread_id: string }>("SELECT run_id, thread_id FROM runs");
    expect(stored.map((row) => row.run_id)).toEqual(expect.arrayContaining(acknowledged.map((run) => run.runId)));
    const hooked = stored.filter((row) => !waitedRunIds.includes(row.run_id));
    await ledger.waitForRuns(
      hooked.map((row) => row.run_id),
      60_000,
    );
    const statuses = await inBatches(stored, 8, async (row, i) => (await apis[i % apis.length].client.runs.get(row.thread_id, row.run_id)).status);
    expect(statuses.filter((status) => !FINAL.has(status))).toEqual([]);
    const counts = statuses.reduce<Record<string, number>>((all, status) => ({ ...all, [status]: (all[status] ?? 0) + 1 }), {});
    console.log(`redis faults: ${acknowledged.length} acknowledged, ${refused} refused; ${JSON.stringify(counts)}`);
    expect(counts).toEqual({ success: stored.length });
    expect([...ledger.idsByRun()].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    expect(ledger.overlaps).toEqual([]);

    // A run created after the restart is streamed live again, across processes.
    const after = await api.client.threads.create();
    const live = await within(collect(api.client.runs.stream(after.thread_id, "slow", { input: {}, config: { configurable: { delay_ms: 10 } } })), 20_000, "a stream after the restart");
    expect(live.filter((part) => part.event === "values").at(-1)?.data).toEqual({ ticks: 5 });

    for (const process of cluster.processes) {
      expect(process.child.exitCode).toBeNull();
      await eventually(async () => ((await fetch(`${process.url}/ok?check_db=1`)).status === 200 ? true : undefined), 15_000, `${process.role} healthy`, 200);
    }
  });
});
