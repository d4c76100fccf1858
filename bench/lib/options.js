// Command-line flags and the two profiles of fixed sample counts (default and --quick).
import { parseArgs } from "node:util";
import { FIGURES } from "./figures/index.js";

export const SERVER_NAMES = ["hookgraph", "official"];

const USAGE = `usage: npm run bench -- [--quick] [--only hookgraph|official] [--no-floor] [--no-build] [--rounds N]
                          [--figures ID,...] [--profile] [--hookgraph-args="ARGS"] [--postgres] [--processes N,...]

  --quick           small sample counts: the whole run takes under 2 minutes
  --only NAME       benchmark one server: hookgraph or official
  --no-floor        skip the in-process floor (no-HTTP invoke)
  --no-build        do not run \`npm run build\` when dist/ is missing or older than src/
  --rounds N        rounds per figure (default: 3); each figure is the median across rounds
  --figures LIST    measure only these figures (comma-separated ids:
                    ${FIGURES.map((f) => f.id).join(", ")})
  --profile         run every hookgraph process under \`node --cpu-prof\`; the profiles go next to
                    the server logs (summarise one with \`node bench/profile-top.js FILE\`)
  --hookgraph-args="ARGS"
                    extra command-line flags for every hookgraph server (split on spaces),
                    e.g. --hookgraph-args="--workers 0" (the = is needed: the value starts with a dash)
  --postgres        also benchmark hookgraph on PostgreSQL + Redis (the machine's, or
                    HOOKGRAPH_TEST_POSTGRES / HOOKGRAPH_TEST_REDIS): N \`hookgraph serve\` processes
                    for each N of --processes, then \`hookgraph api\` + \`hookgraph worker\` for the
                    cross-process wake-up; each on a new database and Redis key prefix, removed after
  --processes LIST  the process counts of --postgres (default: 1,2,4)
  --help            this text`;

/**
 * Per server: runs/streams per round, warm-ups, per-figure time budgets in seconds and a total
 * budget for the whole server (figures left when it is spent are skipped). A figure
 * starts no new round once its budget is spent, and fails if one round overruns it twice over.
 * The official dev server's queue polls for work about every 0.5 s, so it gets fewer samples.
 */
const PROFILES = {
  full: {
    floor: { plainRuns: 2000, sqliteRuns: 1000, warmup: 100 },
    hookgraph: {
      warmup: 50, latencyRuns: 500, throughputRuns16: 1000, throughputRuns64: 2000,
      streams: 30, streamWarmup: 3, webhooks: 100, webhookWarmup: 5, memoryRuns: 10_000,
      backlogDeliveries: 20_000, crons: 20, cronSeconds: 6, storedThreads: 100_000, storedQueries: 200,
      budgets: {
        memory_after: 90, latency: 40, throughput: 60, streaming: 30, webhooks: 30,
        webhook_backlog: 50, cron_lag: 20, stored_scale: 60,
      },
      totalSeconds: 300,
    },
    official: {
      warmup: 5, latencyRuns: 50, throughputRuns16: 160, throughputRuns64: 320,
      streams: 10, streamWarmup: 2, webhooks: 30, webhookWarmup: 2, memoryRuns: 1000,
      budgets: { memory_after: 60, latency: 90, throughput: 60, streaming: 30, webhooks: 30 },
      totalSeconds: 230,
    },
  },
  quick: {
    floor: { plainRuns: 500, sqliteRuns: 300, warmup: 50 },
    hookgraph: {
      warmup: 20, latencyRuns: 100, throughputRuns16: 300, throughputRuns64: 600,
      streams: 8, streamWarmup: 2, webhooks: 20, webhookWarmup: 3, memoryRuns: 500,
      backlogDeliveries: 3000, crons: 5, cronSeconds: 3, storedThreads: 10_000, storedQueries: 100,
      budgets: {
        memory_after: 10, latency: 6, throughput: 10, streaming: 6, webhooks: 5,
        webhook_backlog: 8, cron_lag: 8, stored_scale: 12,
      },
      totalSeconds: 65,
    },
    official: {
      warmup: 2, latencyRuns: 6, throughputRuns16: 48, throughputRuns64: 128,
      streams: 3, streamWarmup: 1, webhooks: 5, webhookWarmup: 1, memoryRuns: 100,
      budgets: { memory_after: 10, latency: 12, throughput: 20, streaming: 8, webhooks: 8 },
      totalSeconds: 45,
    },
  },
};

// hookgraph on PostgreSQL (each deployment of --postgres): the embedded sample counts, so that the
// figures compare, with the longer budgets of slower runs, and the cross-process wake-up's counts.
PROFILES.full.postgres = {
  ...PROFILES.full.hookgraph,
  wakeups: 200, wakeupWarmup: 20,
  budgets: { memory_after: 120, latency: 60, throughput: 120, streaming: 40, webhooks: 40, wakeup: 30 },
  totalSeconds: 420,
};
PROFILES.quick.postgres = {
  ...PROFILES.quick.hookgraph,
  wakeups: 50, wakeupWarmup: 5,
  budgets: { memory_after: 20, latency: 12, throughput: 40, streaming: 12, webhooks: 10, wakeup: 10 },
  totalSeconds: 130,
};

const DEFAULT_BUDGET_SECONDS = 10;

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "no-floor": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      rounds: { type: "string", default: "3" },
      figures: { type: "string" },
      profile: { type: "boolean", default: false },
      "hookgraph-args": { type: "string", default: "" },
      postgres: { type: "boolean", default: false },
      processes: { type: "string", default: "1,2,4" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return { help: USAGE };
  if (values.only !== undefined && !SERVER_NAMES.includes(values.only)) {
    throw new Error(`--only must be one of ${SERVER_NAMES.join(", ")} (got ${values.only})\n${USAGE}`);
  }
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error(`--rounds must be an integer from 1 to 20\n${USAGE}`);
  const known = FIGURES.map((f) => f.id);
  const figures = values.figures?.split(",").map((id) => id.trim()).filter(Boolean);
  const unknown = figures?.filter((id) => !known.includes(id)) ?? [];
  if (figures?.length === 0 || unknown.length > 0) {
    throw new Error(`--figures takes ids from: ${known.join(", ")} (got ${values.figures})\n${USAGE}`);
  }
  const processes = values.processes.split(",").map(Number);
  if (processes.some((n) => !Number.isInteger(n) || n < 1 || n > 16)) throw new Error(`--processes takes integers from 1 to 16 (got ${values.processes})\n${USAGE}`);
  const profileName = values.quick ? "quick" : "full";
  return {
    profileName,
    profile: PROFILES[profileName],
    servers: values.only ? [values.only] : SERVER_NAMES,
    floor: !values["no-floor"],
    build: !values["no-build"],
    rounds,
    figures: figures ?? known,
    cpuProfile: values.profile,
    hookgraphArgs: values["hookgraph-args"].split(" ").filter(Boolean),
    postgres: values.postgres ? processes : undefined,
  };
}

export function budgetSeconds(counts, figureId) {
  return counts.budgets[figureId] ?? DEFAULT_BUDGET_SECONDS;
}

