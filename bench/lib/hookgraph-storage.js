// Fills a hookgraph data dir through hookgraph's own storage layer (the compiled dist/ modules),
// before a server starts on it: the rows are exactly what the server itself would have written.
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT_DIR } from "./paths.js";

const DB_FILE = "hookgraph.sqlite";
// The seeding connection only: random-UUID keys touch pages all over the indexes, and SQLite's
// default 2 MiB page cache would make seeding 100,000 runs several times slower.
const SEED_CACHE_KIB = 256 * 1024;

function dist(path) {
  return import(pathToFileURL(join(ROOT_DIR, "dist", path)).href);
}

/** Opens (migrating) the embedded database of `dataDir` with hookgraph's SQLite storage. */
export async function openStorage(dataDir) {
  const [{ openSqliteStorage }, { systemAssistantId }, { buildWebhookPayload }] = await Promise.all([
    dist("storage/sqlite/index.js"),
    dist("storage/system-assistant.js"),
    dist("webhooks/payload.js"),
  ]);
  const storage = openSqliteStorage(dataDir);
  storage.db.pragma(`cache_size = -${SEED_CACHE_KIB}`);
  return { storage, assistantId: systemAssistantId("echo"), buildWebhookPayload };
}

/** Folds the WAL into the main file and closes: the server starts on one file of known size. */
export async function closeStorage({ storage }) {
  storage.db.pragma("wal_checkpoint(TRUNCATE)");
  await storage.close();
}

export function databaseBytes(dataDir) {
  return statSync(join(dataDir, DB_FILE)).size;
}

// The seeder as the run worker's claims name it; its leases end with each run's finish.
const SEED_LEASE = { owner: "bench-seed", leaseMs: 60_000 };

/**
 * One finished echo run on a new thread, through the storage calls the run worker makes:
 * runs.create (creating the thread), runs.claim (the run, now the only pending one, under a
 * lease), then the fenced runs.finish (final status, thread state, and the webhook outbox row
 * when `webhookUrl` is given).
 */
async function finishedRun(seed, { i, threadMetadata, webhookUrl }) {
  const { storage, assistantId, buildWebhookPayload } = seed;
  const runId = randomUUID();
  const threadId = randomUUID();
  const input = { value: `seed-${i}` };
  const kwargs = { input };
  await storage.runs.create({
    run_id: runId,
    thread_id: threadId,
    assistant_id: assistantId,
    metadata: {},
    kwargs,
    multitask_strategy: "reject",
    stateless: false,
    on_completion: null,
    create_thread: true,
    thread_metadata: { ...threadMetadata, graph_id: "echo", assistant_id: assistantId },
  });
  const claimed = await storage.runs.claim(1, new Date(), SEED_LEASE);
  if (claimed.length !== 1 || claimed[0].run_id !== runId) {
    throw new Error(`runs.claim took ${claimed.map((r) => r.run_id).join(", ") || "nothing"} instead of the run just created (${runId})`);
  }
  let delivery;
  if (webhookUrl) {
    const at = new Date().toISOString();
    const payload = buildWebhookPayload({
      run_id: runId,
      thread_id: threadId,
      assistant_id: assistantId,
      created_at: at,
      updated_at: at,
      status: "success",
      metadata: {},
      kwargs,
      multitask_strategy: "reject",
      run_started_at: at,
      run_ended_at: at,
      values: input,
    });
    delivery = { delivery_id: randomUUID(), url: webhookUrl, payload };
  }
  const finish = { status: "success", thread: { status: "idle", values: input, interrupts: {} }, delivery };
  if (!(await storage.runs.finish(runId, finish, claimed[0].lease_id))) throw new Error(`runs.finish refused run ${runId} under its own lease`);
}

/**
 * `count` finished runs in one transaction, checked to have landed before the server sees them.
 * The storage calls are async, so the transaction is opened by hand: inside it their own
 * transactions become savepoints, and nothing else uses the connection in between.
 */
async function seedRuns(seed, count, options) {
  const { db } = seed.storage;
  const finished = db.prepare("SELECT count(*) AS n FROM runs WHERE status = 'success'").pluck();
  const expected = finished.get() + count;
  db.exec("BEGIN");
  try {
    for (let i = 0; i < count; i += 1) await finishedRun(seed, { i, ...options(i) });
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw new Error(`seeding runs through hookgraph's storage failed: ${error.message}`, { cause: error });
  }
  const landed = finished.get();
  if (landed !== expected) {
    throw new Error(`seeded ${count} runs through hookgraph's storage but ${landed - expected + count} are stored as finished`);
  }
}

/** `count` finished runs, each with a pending webhook delivery to `url`, in one transaction. */
export async function seedWebhookBacklog(seed, { count, url }) {
  await seedRuns(seed, count, () => ({ threadMetadata: {}, webhookUrl: url }));
  const pending = seed.storage.db.prepare("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'").pluck().get();
  if (pending !== count) throw new Error(`seeded ${count} webhook deliveries but ${pending} are pending`);
}

/** `count` threads with one finished run each; thread i has metadata {user: "u<i % users>"}. */
export async function seedHistory(seed, { count, users }) {
  await seedRuns(seed, count, (i) => ({ threadMetadata: { user: `u${i % users}` } }));
}
