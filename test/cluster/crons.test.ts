import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster } from "../helpers/cluster.js";
import { eventually, FINAL, sleep } from "./support.js";

/** How long the every-second cron fires. */
const FIRING_MS = 60_000;

let cluster: Cluster;

beforeAll(async () => {
  // Debug logs: each process logs the firings it claimed ("cron fired"), so the test sees them compete.
  cluster = await startCluster(["serve", "serve", "serve"], { args: ["--log-level", "debug"] });
});

afterAll(() => cluster?.dispose());

/** The firings a process logged (pino JSON lines). */
function firings(output: string, cronId: string): string[] {
  return output
    .split("\n")
    .filter((line) => line.includes('"cron fired"') && line.includes(cronId))
    .map((line) => (JSON.parse(line) as { scheduled_at: string }).scheduled_at);
}

describe("a seconds cron on three processes", () => {
  it("every due second creates exactly one run: none twice, none skipped", { timeout: FIRING_MS + 60_000 }, async () => {
    const [a, b] = cluster.processes;
    const cron = await a.client.crons.create("echo", {
      schedule: "* * * * * *",
      input: { messages: [{ role: "human", content: "tick" }] },
      onRunCompleted: "keep",
    });
    await sleep(FIRING_MS);
    await b.client.crons.delete(cron.cron_id);
    const stoppedAt = Date.now();

    type Firing = { scheduled_at: string; runs: number; statuses: string[] };
    const byFiring = () =>
      cluster.query<Firing>(
        `SELECT metadata->>'cron_scheduled_at' AS scheduled_at, count(*)::int AS runs, array_agg(status) AS statuses
         FROM runs WHERE metadata->>'cron_id' = $1 GROUP BY 1 ORDER BY 1`,
        [cron.cron_id],
      );
    // A firing claimed just before the delete may still be creating its run, and the last runs executing.
    const rows = await eventually(
      async () => {
        const found = await byFiring();
        return Date.now() - stoppedAt > 2_000 && found.every((row) => row.statuses.every((status) => FINAL.has(status))) ? found : undefined;
      },
      30_000,
      "the cron's runs to end",
      250,
    );

    // Exactly one run per firing.
    expect(rows.filter((row) => row.runs !== 1)).toEqual([]);
    // Every second from the first firing to the last, none skipped.
    const seconds = rows.map((row) => Date.parse(row.scheduled_at) / 1000);
    expect(seconds.every(Number.isInteger)).toBe(true);
    const skipped = seconds.slice(1).filter((second, i) => second !== seconds[i] + 1);
    expect(skipped).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(FIRING_MS / 1000 - 3);
    expect(new Set(rows.flatMap((row) => row.statuses))).toEqual(new Set(["success"]));

    // The firings were claimed across the processes, each once.
    const claimed = cluster.processes.map((process) => firings(process.output(), cron.cron_id));
    const all = claimed.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(rows.length);
    expect(claimed.filter((list) => list.length > 0).length).toBeGreaterThan(1);
    console.log(`crons: ${rows.length} firings, claimed ${claimed.map((list) => list.length).join(" / ")} by the three processes`);
  });
});
