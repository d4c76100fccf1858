// (6) Query latency over a large stored history: the same three reads on a server started on an
// empty data dir, then on that data dir after a history of threads and runs was written into it
// through hookgraph's storage layer. Also the SQLite file size that history takes per run.
import { rmSync } from "node:fs";
import { makeClient, named } from "../client.js";
import { closeStorage, databaseBytes, openStorage, seedHistory } from "../hookgraph-storage.js";
import { makeDataDir } from "../servers/hookgraph.js";
import { median, percentile } from "../stats.js";
import { nowMs } from "../clock.js";
import { metric } from "./metrics.js";
import { ECHO } from "./runs.js";

const USERS = 1000; // thread i has metadata {user: "u<i % USERS>"}
const USER = "u7";
// The first seconds after start-up are slower (JIT, page cache, start-up work still settling):
// both servers get the same warm-up, at least WARMUP calls of each read and WARMUP_MS in all.
const WARMUP = 20;
const WARMUP_MS = 2000;
const ROUND_RESERVE_MS = 5000; // a round starts only with this much of the hard deadline left

/** The reads measured, each checked to return what the data dir holds. */
function queries(client, threadId, expectMetaHits) {
  return {
    search: async () => {
      const found = await named("POST /threads/search (sort updated_at, limit 10)", () =>
        client.threads.search({ sortBy: "updated_at", sortOrder: "desc", limit: 10 }),
      );
      if (found.length === 0) throw new Error("POST /threads/search returned no thread");
    },
    meta: async () => {
      const found = await named(`POST /threads/search (metadata user=${USER})`, () =>
        client.threads.search({ metadata: { user: USER }, limit: 10 }),
      );
      if (found.length !== expectMetaHits || found.some((t) => t.metadata?.user !== USER)) {
        throw new Error(`POST /threads/search by metadata returned ${found.length} threads, expected ${expectMetaHits} with user=${USER}`);
      }
    },
    runsList: async () => {
      const runs = await named("GET /threads/{id}/runs", () => client.runs.list(threadId, { limit: 10 }));
      if (runs.length !== 1) throw new Error(`GET /threads/{id}/runs returned ${runs.length} runs, expected 1`);
    },
  };
}

async function timed(fn, n) {
  const latencies = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = nowMs();
    await fn();
    latencies.push(nowMs() - t0);
  }
  return percentile(latencies, 50);
}

/** Per query, the median across rounds of each round's p50. */
async function measureQueries(ctx, reads) {
  const n = ctx.counts.storedQueries;
  const warmUntil = nowMs() + WARMUP_MS;
  do {
    for (const fn of Object.values(reads)) await timed(fn, WARMUP);
  } while (nowMs() < warmUntil);
  const perRound = { search: [], meta: [], runsList: [] };
  for (let r = 0; r < ctx.rounds && (r === 0 || ctx.hardDeadline.leftMs() > ROUND_RESERVE_MS); r += 1) {
    for (const [name, fn] of Object.entries(reads)) perRound[name].push(await timed(fn, n));
  }
  return Object.fromEntries(Object.entries(perRound).map(([name, rounds]) => [name, { value: median(rounds), rounds }]));
}

export async function measureStoredScale(ctx) {
  const count = ctx.counts.storedThreads;
  const dataDir = makeDataDir();
  let server;
  try {
    server = await ctx.launch({ tag: "stored-empty", dataDir, keepDataDir: true });
    let client = makeClient(server.url);
    const thread = await named("POST /threads", () => client.threads.create({ metadata: { user: USER } }));
    await named("POST /threads/{id}/runs/wait", () => client.runs.wait(thread.thread_id, ECHO, { input: { value: "stored" } }));
    const empty = await measureQueries(ctx, queries(client, thread.thread_id, 1));
    await server.stop();
    server = undefined;

    const emptyBytes = databaseBytes(dataDir);
    const seed = await openStorage(dataDir);
    const seedStarted = nowMs();
    try {
      await seedHistory(seed, { count, users: USERS });
    } finally {
      await closeStorage(seed);
    }
    const seedSeconds = (nowMs() - seedStarted) / 1000;
    const seededBytes = databaseBytes(dataDir);

    server = await ctx.launch({ tag: "stored-seeded", dataDir, keepDataDir: true });
    client = makeClient(server.url);
    const seeded = await measureQueries(ctx, queries(client, thread.thread_id, Math.min(10, 1 + count / USERS)));
    const startupMs = server.startupMs;
    await server.stop();
    server = undefined;

    const bytesPerRun = (seededBytes - emptyBytes) / count;
    const ratio = (name) => `${(seeded[name].value / empty[name].value).toFixed(2)}×`;
    const rows = [
      ["stored_search_empty", empty.search],
      ["stored_search_seeded", seeded.search],
      ["stored_search_meta_empty", empty.meta],
      ["stored_search_meta_seeded", seeded.meta],
      ["stored_runs_list_empty", empty.runsList],
      ["stored_runs_list_seeded", seeded.runsList],
    ];
    return {
      samples:
        `${count.toLocaleString("en-US")} threads (metadata user u0..u${USERS - 1}) with one finished run each, seeded in ` +
        `${seedSeconds.toFixed(1)}s through the storage layer; ${ctx.counts.storedQueries} calls per query × ` +
        `${empty.search.rounds.length} / ${seeded.search.rounds.length} rounds (empty / seeded); seeded ÷ empty: ` +
        `search ${ratio("search")}, by metadata ${ratio("meta")}, runs.list ${ratio("runsList")}; hookgraph.sqlite ` +
        `${(emptyBytes / 2 ** 20).toFixed(1)} → ${(seededBytes / 2 ** 20).toFixed(1)} MiB; start-up on it ${(startupMs / 1000).toFixed(1)}s`,
      metrics: [
        ...rows.map(([id, v]) => metric(id, v.value, { rounds: v.rounds })),
        metric("stored_bytes_per_run", bytesPerRun, { seededBytes, emptyBytes, runs: count }),
      ],
    };
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
