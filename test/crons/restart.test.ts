import { rmSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import type { Cron, Run } from "@langchain/langgraph-sdk";
import { startTestServer, tempDataDir, type TestServer } from "../helpers/server.js";
import { eventually, sleep } from "../api/support.js";

const running: TestServer[] = [];
const dataDirs: string[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.close();
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<TestServer> {
  const server = await startTestServer({ dataDir, workers: 0 });
  running.push(server);
  return server;
}

async function stop(server: TestServer): Promise<void> {
  running.splice(running.indexOf(server), 1);
  await server.close();
}

const scheduledAt = (run: Run) => Date.parse(run.metadata?.cron_scheduled_at as string);

describe("restart", () => {
  test("crons survive a restart and fire once for the slots missed while down, not once per slot", async () => {
    const dataDir = tempDataDir();
    dataDirs.push(dataDir);
    const first = await start(dataDir);
    const { thread_id: threadId } = await first.client.threads.create();
    const cron = (await first.client.crons.createForThread(threadId, "echo", {
      schedule: "* * * * * *",
      input: { messages: [{ role: "user", content: "tick" }] },
    })) as unknown as Cron;
    await eventually(() => first.client.runs.list(threadId), (runs) => runs.length >= 1);
    await stop(first);

    await sleep(3_500); // three or four due times pass while no server runs
    const restartedAt = Date.now();
    const second = await start(dataDir);
    expect(await second.client.crons.search({ threadId })).toEqual([expect.objectContaining({ cron_id: cron.cron_id, schedule: "* * * * * *" })]);

    // Wait for the catch-up firing and two regular ones after it.
    const runs = await eventually(
      () => second.client.runs.list(threadId, { limit: 100 }),
      (list) => list.filter((run) => scheduledAt(run) > restartedAt).length >= 2,
    );
    await second.client.crons.delete(cron.cron_id);

    const times = runs.map(scheduledAt);
    // Exactly once per due time.
    expect(new Set(times).size).toBe(times.length);
    // The slots missed while down were fired once in all, right after the restart. They start
    // after the first server's last firing, read from the data: a clock read around the stop
    // would be late on a loaded machine, since the scheduler stops before the rest of the server.
    const lastBeforeStop = Math.max(...runs.filter((run) => Date.parse(run.created_at) < restartedAt).map(scheduledAt));
    const missed = runs.filter((run) => scheduledAt(run) > lastBeforeStop && scheduledAt(run) <= restartedAt);
    expect(missed).toHaveLength(1);
    // The catch-up firing carries the first slot missed, and was made by the second server.
    expect(scheduledAt(missed[0])).toBe(lastBeforeStop + 1_000);
    expect(Date.parse(missed[0].created_at)).toBeGreaterThanOrEqual(restartedAt);
  });
});
