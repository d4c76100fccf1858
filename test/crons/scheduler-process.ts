/**
 * A scheduler process for the exactly-once test: `node --import tsx scheduler-process.ts <dataDir>`
 * fires the crons of that database until SIGTERM. Runs it creates stay pending: no worker here.
 */
import pino from "pino";
import { openSqliteStorage } from "../../src/storage/sqlite/index.js";
import { RunStreams } from "../../src/bus/run-streams.js";
import type { RunWorker } from "../../src/queue/run-worker.js";
import { CronScheduler } from "../../src/crons/scheduler.js";

const storage = openSqliteStorage(process.argv[2]);
const worker = { wake: () => {}, cancel: async () => false } as unknown as RunWorker;
const scheduler = new CronScheduler({
  crons: storage.crons,
  runService: { storage, worker, streams: new RunStreams(), checkWebhookUrl: () => {} },
  logger: pino({ level: "warn" }, process.stderr),
});
await scheduler.start();
// The scheduler's timer does not hold the process open (a server's socket does): this does.
const keepAlive = setInterval(() => {}, 1 << 30);
process.stdout.write("ready\n");
process.once("SIGTERM", async () => {
  clearInterval(keepAlive);
  await scheduler.stop();
  await storage.close();
  process.exit(0);
});
