import { afterEach, describe, expect, it } from "vitest";
import { runCli, startCli, type CliProcess } from "../helpers/cli.js";
import { disposeAll, eventually, HUMAN, receiver, tempDir, writeProjectConfig } from "./e2e-support.js";

// The real CLI (compiled dist/), killed with SIGKILL: no chance to release leases or finish attempts.
const processes: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop("SIGKILL")));
  await disposeAll();
});

async function start(configPath: string, dataDir: string): Promise<CliProcess> {
  // Graphs on the main thread: start-up is twice as fast, and delivery durability does not depend on it.
  const cli = await startCli(["dev", "--port", "0", "--data-dir", dataDir, "--config", configPath, "--log-level", "warn", "--workers", "0"]);
  processes.push(cli);
  return cli;
}

async function api(cli: CliProcess, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${cli.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status, path).toBeLessThan(300);
  return response.json();
}

describe("durability across SIGKILL", () => {
  it("a delivery in flight when the process dies is sent at once on restart, with the same webhook-id", { timeout: 90_000 }, async () => {
    let answer = false;
    const r = await receiver((_req, res) => {
      if (answer) res.writeHead(200).end("ok");
      // else: hang, so the attempt is in flight when the process dies
    });
    const configPath = writeProjectConfig({});
    const dataDir = tempDir();
    const first = await start(configPath, dataDir);
    const run = await api(first, "/runs", { assistant_id: "echo", input: HUMAN("crash"), webhook: `${r.origin}/hook?token=k1` });
    const [inFlight] = await r.waitFor(1);
    await first.stop("SIGKILL");

    answer = true;
    const second = await start(configPath, dataDir);
    const listeningAt = Date.now();
    const [, resent] = await r.waitFor(2, 10_000);
    // At once: not after the lease of the killed attempt (minutes) would have run out.
    expect(resent.receivedAt - listeningAt).toBeLessThan(3000);
    expect(resent.headers["webhook-id"]).toBe(inFlight.headers["webhook-id"]);
    expect(resent.url).toBe("/hook?token=k1");
    expect(JSON.parse(resent.body)).toMatchObject({ run_id: run.run_id, status: "success" });

    const [delivery] = await api(second, `/webhooks/deliveries?run_id=${run.run_id}`);
    expect(delivery.delivery_id).toBe(inFlight.headers["webhook-id"]);
    const detail = await eventually(async () => {
      const d = await api(second, `/webhooks/deliveries/${delivery.delivery_id}`);
      return d.status === "succeeded" ? d : undefined;
    });
    // The killed attempt left no record; the one after the restart is attempt 1.
    expect(detail.attempts.map((a: any) => [a.attempt, a.status_code])).toEqual([[1, 200]]);
  });

  it("a delivery waiting for its retry survives SIGKILL and is retried on schedule after the restart", { timeout: 90_000 }, async () => {
    let calls = 0;
    const r = await receiver((_req, res) => res.writeHead(++calls === 1 ? 503 : 200).end());
    const configPath = writeProjectConfig({ webhooks: { retry: { schedule: [10] } } });
    const dataDir = tempDir();
    const first = await start(configPath, dataDir);
    const run = await api(first, "/runs", { assistant_id: "echo", input: HUMAN("retry"), webhook: `${r.origin}/hook` });
    await eventually(async () => {
      const [delivery] = await api(first, `/webhooks/deliveries?run_id=${run.run_id}`);
      return delivery?.attempt_count === 1 ? delivery : undefined;
    });
    await first.stop("SIGKILL");

    await start(configPath, dataDir);
    const listeningAt = Date.now();
    const [failed, retried] = await r.waitFor(2, 20_000);
    expect(retried.headers["webhook-id"]).toBe(failed.headers["webhook-id"]);
    // Not before the schedule (10 s − 20 % jitter); by then, or at once if the restart took longer.
    expect(retried.receivedAt - failed.receivedAt).toBeGreaterThanOrEqual(8000);
    expect(retried.receivedAt).toBeLessThan(Math.max(failed.receivedAt + 12_000, listeningAt) + 3000);
  });

  it("start-up fails with a clear message when a header template names an unset variable", async () => {
    const configPath = writeProjectConfig({ webhooks: { headers: { Authorization: "Bearer ${{ env.LG_WEBHOOK_CRASH_E2E_UNSET }}" } } });
    const result = await runCli(["dev", "--port", "0", "--data-dir", tempDir(), "--config", configPath]);
    expect(result.code).toBe(1);
    expect(result.output).toContain("webhooks.headers.Authorization: environment variable LG_WEBHOOK_CRASH_E2E_UNSET is not set");
  });
});
