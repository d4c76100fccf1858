import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Cron } from "@langchain/langgraph-sdk";
import { api, eventually, sleep, useServer } from "../api/support.js";
import { startReceiver, type Receiver } from "../webhooks/receiver.js";

// Graphs on the main thread (`workers: 0`): the firing lag is measured with the event loop also
// executing graphs, the harder case for the scheduler's timer.
const server = useServer({ workers: 0 });
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const EVERY_SECOND = "* * * * * *";
const INPUT = { messages: [{ role: "user", content: "tick" }] };

interface WebhookBody {
  run_id: string;
  thread_id: string;
  status: string;
  created_at: string;
  metadata: { cron_id?: string; cron_scheduled_at?: string; [key: string]: unknown };
  values: unknown;
}

/** The webhooks received so far for one cron, in arrival order (each test gives its own path). */
function deliveries(path: string): (WebhookBody & { url: string })[] {
  return receiver.requests.filter((request) => request.url.startsWith(path)).map((request) => ({ ...JSON.parse(request.body), url: request.url }));
}

const until = (path: string, count: number, timeoutMs = 10_000) =>
  eventually(async () => deliveries(path), (received) => received.length >= count, timeoutMs);

/** Due time → run created, in ms, from the firing's run metadata. */
const lagMs = (webhook: WebhookBody) => Date.parse(webhook.created_at) - Date.parse(webhook.metadata.cron_scheduled_at!);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// Each test listens on its own path, so they run side by side; the lag is measured alone.
describe.concurrent("firing", () => {
  test("a stateless cron fires every second, each run on a new thread that is then deleted, and delivers its webhook", async ({ expect }) => {
    const path = "/stateless?token=abc";
    const cron = (await server().client.crons.create("echo", {
      schedule: EVERY_SECOND,
      input: INPUT,
      metadata: { origin: "stateless-test" },
      webhook: `${receiver.origin}${path}`,
    })) as unknown as Cron;
    const received = await until("/stateless", 3);
    await server().client.crons.delete(cron.cron_id);

    expect(received.every((webhook) => webhook.url === path)).toBe(true);
    expect(received.every((webhook) => webhook.status === "success")).toBe(true);
    expect(received.every((webhook) => webhook.metadata.origin === "stateless-test" && webhook.metadata.cron_id === cron.cron_id)).toBe(true);
    const threads = new Set(received.map((webhook) => webhook.thread_id));
    expect(threads.size).toBe(received.length);
    // Each firing is its own due time, one second apart.
    const scheduled = received.map((webhook) => Date.parse(webhook.metadata.cron_scheduled_at!));
    expect(new Set(scheduled).size).toBe(scheduled.length);
    for (const at of scheduled) expect(at % 1000).toBe(0);
    // on_run_completed "delete" (the default): the thread is gone once the run ended.
    for (const threadId of threads) expect((await api(server(), "GET", `/threads/${threadId}`)).status).toBe(404);
  });

  test("on_run_completed keep leaves each firing's thread with its values", async ({ expect }) => {
    const cron = (await server().client.crons.create("echo", {
      schedule: EVERY_SECOND,
      input: INPUT,
      onRunCompleted: "keep",
      webhook: `${receiver.origin}/keep`,
    })) as unknown as Cron;
    const [first] = await until("/keep", 1);
    await server().client.crons.delete(cron.cron_id);
    const thread = await server().client.threads.get(first.thread_id);
    const messages = (thread.values as { messages: { content: string }[] }).messages;
    expect(messages.at(-1)?.content).toBe("echo: tick");
  });

  test("a thread cron runs every firing on its thread and delivers its webhook", async ({ expect }) => {
    const { client } = server();
    const { thread_id: threadId } = await client.threads.create();
    const cron = (await client.crons.createForThread(threadId, "echo", {
      schedule: EVERY_SECOND,
      input: INPUT,
      webhook: `${receiver.origin}/thread`,
    })) as unknown as Cron;
    const received = await until("/thread", 2);
    await client.crons.delete(cron.cron_id);

    expect(received.every((webhook) => webhook.thread_id === threadId && webhook.status === "success")).toBe(true);
    const runs = await client.runs.list(threadId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((run) => run.metadata?.cron_id === cron.cron_id && run.multitask_strategy === "enqueue")).toBe(true);
    // The thread keeps the conversation of every firing.
    const state = await client.threads.getState<{ messages: { content: string }[] }>(threadId);
    expect(state.values.messages.filter((message) => message.content === "echo: tick").length).toBeGreaterThanOrEqual(2);
  });

  test("a busy thread is handled by the cron's multitask strategy: enqueue queues the firing, reject skips it", async ({ expect }) => {
    const { client } = server();
    const fast = { configurable: { delay_ms: 5 } };
    const outcome = async (strategy: "enqueue" | "reject") => {
      const { thread_id: threadId } = await client.threads.create();
      // Five steps of 400 ms: the thread is busy for about two seconds.
      const busy = await client.runs.create(threadId, "slow", { input: { ticks: 0 }, config: { configurable: { delay_ms: 400 } } });
      const cron = (await client.crons.createForThread(threadId, "slow", {
        schedule: EVERY_SECOND,
        input: { ticks: 0 },
        config: fast,
        multitaskStrategy: strategy,
        webhook: `${receiver.origin}/busy-${strategy}`,
      })) as unknown as Cron;
      await client.runs.join(threadId, busy.run_id);
      const busyEnded = Date.parse((await client.runs.get(threadId, busy.run_id)).updated_at);
      await until(`/busy-${strategy}`, 1);
      await client.crons.delete(cron.cron_id);
      const cronRuns = (await client.runs.list(threadId, { limit: 100 })).filter((run) => run.metadata?.cron_id === cron.cron_id);
      return { createdWhileBusy: cronRuns.filter((run) => Date.parse(run.created_at) < busyEnded).length, total: cronRuns.length };
    };
    const [enqueue, reject] = await Promise.all([outcome("enqueue"), outcome("reject")]);
    expect(enqueue.createdWhileBusy).toBeGreaterThanOrEqual(1);
    expect(reject.createdWhileBusy).toBe(0);
    // The rejected firings did not stop the cron: it fired again once the thread was free.
    expect(reject.total).toBeGreaterThanOrEqual(1);
  });

  test("a cron whose run fails keeps firing", async ({ expect }) => {
    const cron = (await server().client.crons.create("error", { schedule: EVERY_SECOND, input: {}, webhook: `${receiver.origin}/failing` })) as unknown as Cron;
    const received = await until("/failing", 3);
    await server().client.crons.delete(cron.cron_id);
    expect(received.every((webhook) => webhook.status === "error")).toBe(true);
    expect(new Set(received.map((webhook) => webhook.metadata.cron_scheduled_at)).size).toBe(received.length);
  });

  test("a disabled cron does not fire until enabled, and stops when disabled again", async ({ expect }) => {
    const { client } = server();
    const cron = (await client.crons.create("echo", {
      schedule: EVERY_SECOND,
      input: INPUT,
      enabled: false,
      webhook: `${receiver.origin}/toggle`,
    })) as unknown as Cron;
    await sleep(2_200);
    expect(deliveries("/toggle")).toHaveLength(0);

    await client.crons.update(cron.cron_id, { enabled: true });
    await until("/toggle", 1);
    await client.crons.update(cron.cron_id, { enabled: false });
    await sleep(500); // a run created just before the patch may still be finishing
    const count = deliveries("/toggle").length;
    await sleep(2_200);
    expect(deliveries("/toggle")).toHaveLength(count);
    await client.crons.delete(cron.cron_id);
  });

  test("a cron stops firing at its end_time", async ({ expect }) => {
    const endTime = new Date(Date.now() + 2_500);
    const cron = (await server().client.crons.create("echo", {
      schedule: EVERY_SECOND,
      input: INPUT,
      endTime: endTime.toISOString(),
      webhook: `${receiver.origin}/ending`,
    })) as unknown as Cron;
    await sleep(endTime.getTime() - Date.now() + 2_000);
    const received = deliveries("/ending");
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.length).toBeLessThanOrEqual(3);
    for (const webhook of received) expect(Date.parse(webhook.metadata.cron_scheduled_at!)).toBeLessThanOrEqual(endTime.getTime());
    const after = await api<Cron>(server(), "GET", `/runs/crons/${cron.cron_id}`);
    expect(after.body.next_run_date).toBeNull();
  });

  test("a deleted cron stops firing", async ({ expect }) => {
    const { client } = server();
    const cron = (await client.crons.create("echo", { schedule: EVERY_SECOND, input: INPUT, webhook: `${receiver.origin}/deleted` })) as unknown as Cron;
    await until("/deleted", 1);
    await client.crons.delete(cron.cron_id);
    await sleep(500);
    const count = deliveries("/deleted").length;
    await sleep(2_200);
    expect(deliveries("/deleted")).toHaveLength(count);
  });
});

/**
 * Measured as the benchmark measures (bench/README.md): three rounds, p50/p99 nearest-rank within
 * a round, the median across rounds. A round is three seconds of firings of ten crons, so one
 * second in which the whole process was descheduled (other processes on a loaded machine) spoils
 * one round, not the figure.
 */
describe("firing lag", () => {
  // The 50 ms target is the benchmark's to measure (figure 5b); this test checks the behaviour
  // behind it on a possibly loaded machine: never early, once per due time, within the second.
  test("due time → run created: never early, once per due time, well within the period (10 crons firing together)", async () => {
    const { client } = server();
    // A warm server: the first run of a process pays for loading and compiling what runs use.
    await client.runs.wait(null, "echo", { input: INPUT });
    const body = { schedule: EVERY_SECOND, input: INPUT, webhook: `${receiver.origin}/lag` };
    const crons: Cron[] = [];
    for (let i = 0; i < 8; i++) crons.push((await client.crons.create("echo", body)) as unknown as Cron);
    for (let i = 0; i < 2; i++) {
      const { thread_id: threadId } = await client.threads.create();
      crons.push((await client.crons.createForThread(threadId, "echo", body)) as unknown as Cron);
    }
    const firstSecond = Math.ceil(Date.now() / 1000) * 1000 + 1000; // the first due time all ten share
    const second = (webhook: WebhookBody) => (Date.parse(webhook.metadata.cron_scheduled_at!) - firstSecond) / 1000;
    await eventually(
      async () => deliveries("/lag").filter((webhook) => second(webhook) >= 0 && second(webhook) < 9),
      (received) => received.length >= 90,
      20_000,
    );
    for (const cron of crons) await client.crons.delete(cron.cron_id);

    const rounds = [0, 1, 2].map((round) =>
      deliveries("/lag")
        .filter((webhook) => Math.floor(second(webhook) / 3) === round && second(webhook) >= 0)
        .map(lagMs)
        .sort((a, b) => a - b),
    );
    const figure = (p: number) => rounds.map((lags) => percentile(lags, p)).sort((a, b) => a - b)[1];
    console.info(
      `cron firing lag, ${rounds.map((lags) => lags.length).join("/")} firings per round: p50 ${figure(50)} ms, p99 ${figure(99)} ms ` +
        `(per round p99 ${rounds.map((lags) => percentile(lags, 99)).join(", ")} ms)`,
    );
    for (const lags of rounds) {
      expect(lags.length).toBe(30);
      expect(lags[0]).toBeGreaterThanOrEqual(0);
      expect(lags.at(-1)).toBeLessThan(1000);
    }
  });
});
