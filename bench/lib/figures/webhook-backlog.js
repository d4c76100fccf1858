// (5) The webhook delivery engine on its own: a backlog of deliveries is written into a fresh
// data dir through hookgraph's storage layer, then a server starts on it and drains it into a
// local receiver. Rates come from the receiver's clock only, so server start-up is not in them.
import { rmSync } from "node:fs";
import { CONFIG_PATH } from "../paths.js";
import { writeConfigVariant } from "../bench-config.js";
import { startBacklogReceiver } from "../backlog-receiver.js";
import { closeStorage, openStorage, seedWebhookBacklog } from "../hookgraph-storage.js";
import { makeDataDir } from "../servers/hookgraph.js";
import { median } from "../stats.js";
import { deadlineIn } from "../clock.js";
import { metric } from "./metrics.js";

// Retries due within a second of the failure: they compete with the first attempts still queued.
const RETRY_SCHEDULE = [0.5, 0.5, 0.5];
const FAIL_FIRST_OF_EVERY = 2;
// The drain is bounded on its own, from the moment the server answers: start-up (module loading)
// can take many seconds on a busy machine and must not eat the time the drain is allowed.
const MIN_DRAIN_SECONDS = 15;
const SLOWEST_RATE = 250; // deliveries/s: below this the figure fails rather than waits

/** Seeds `count` deliveries, starts a server on them and waits until the receiver has them all. */
async function drainOnce(ctx, { count, failing, configPath }) {
  const receiver = await startBacklogReceiver({ failFirstOfEvery: failing ? FAIL_FIRST_OF_EVERY : undefined });
  const dataDir = makeDataDir();
  let server;
  try {
    const seed = await openStorage(dataDir);
    try {
      await seedWebhookBacklog(seed, { count, url: receiver.url });
    } finally {
      await closeStorage(seed);
    }
    server = await ctx.launch({ tag: failing ? "backlog-503" : "backlog", dataDir, keepDataDir: true, configPath });
    // Still within the server's total budget, so the whole benchmark keeps its promised duration.
    const limit = Math.min(Math.max(MIN_DRAIN_SECONDS, count / SLOWEST_RATE), ctx.serverDeadline.leftMs() / 1000);
    const done = await receiver.until((s) => s.firstAttempts >= count && s.delivered >= count, deadlineIn(limit));
    const s = receiver.stats;
    if (!done) {
      throw new Error(
        `backlog not drained within ${limit.toFixed(0)}s of the server answering: ${s.firstAttempts} of ${count} first attempts and ` +
          `${s.delivered} deliveries received (${failing ? "half of the first attempts answered 503" : "all answered 200"})`,
      );
    }
    if (s.duplicates > 0) throw new Error(`${s.duplicates} deliveries were sent again after the receiver had answered 200`);
    return {
      startupMs: server.startupMs,
      firstAttemptsMs: s.lastFirstAttemptAt - s.firstAt,
      allDeliveredMs: s.lastDeliveredAt - s.firstAt,
      requests: s.requests,
      answered503: s.answered503,
    };
  } finally {
    await server?.stop();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Rounds alternate: a backlog answered 200 throughout, then one where the first attempt of every
 * other delivery gets 503 (retries due 0.5 s later, all answered 200). The second shows whether
 * retries hold up first attempts: its first-attempt drain time against the first's.
 */
export async function measureWebhookBacklog(ctx) {
  const count = ctx.counts.backlogDeliveries;
  const config = writeConfigVariant(CONFIG_PATH, { webhooks: { retry: { schedule: RETRY_SCHEDULE } } });
  const plain = [];
  const failing = [];
  try {
    for (let r = 0; r < ctx.rounds && (r === 0 || !ctx.deadline.passed()); r += 1) {
      plain.push(await drainOnce(ctx, { count, failing: false }));
      failing.push(await drainOnce(ctx, { count, failing: true, configPath: config.path }));
    }
  } finally {
    config.remove();
  }
  const rate = (ms) => (count - 1) / (ms / 1000);
  const perRound = {
    webhook_backlog_per_s: plain.map((p) => rate(p.allDeliveredMs)),
    webhook_backlog_503_first_per_s: failing.map((f) => rate(f.firstAttemptsMs)),
    webhook_backlog_503_first_slowdown: failing.map((f, i) => f.firstAttemptsMs / plain[i].allDeliveredMs),
  };
  const s = (values) => values.map((v) => (v / 1000).toFixed(2)).join(", ");
  const cut = plain.length < ctx.rounds ? ` (time budget: ${plain.length} of ${ctx.rounds} rounds)` : "";
  return {
    samples:
      `${count} deliveries seeded in storage per round × ${plain.length} rounds${cut}, default delivery settings; ` +
      `all 200: drained in ${s(plain.map((p) => p.allDeliveredMs))} s; ` +
      `half of the first attempts 503 (retry schedule ${JSON.stringify(RETRY_SCHEDULE)} s): first attempts done in ` +
      `${s(failing.map((f) => f.firstAttemptsMs))} s, all delivered in ${s(failing.map((f) => f.allDeliveredMs))} s ` +
      `(${failing.map((f) => f.requests).join(", ")} requests); server start-up on the backlog ` +
      `${s([...plain, ...failing].map((p) => p.startupMs))} s`,
    metrics: Object.entries(perRound).map(([id, rounds]) => metric(id, median(rounds), { rounds })),
  };
}
