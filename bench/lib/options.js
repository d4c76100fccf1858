// Command-line flags and the two profiles of fixed sample counts (default and --quick).
import { parseArgs } from "node:util";

export const SERVER_NAMES = ["hookgraph", "official"];

const USAGE = `usage: npm run bench -- [--quick] [--only hookgraph|official] [--no-floor] [--no-build] [--rounds N]

  --quick           small sample counts: the whole run takes under 2 minutes
  --only NAME       benchmark one server: hookgraph or official
  --no-floor        skip the in-process floor (no-HTTP invoke)
  --no-build        do not run \`npm run build\` when dist/ is missing or older than src/
  --rounds N        rounds per figure (default: 3); each figure is the median across rounds
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
      warmup: 50, latencyRuns: 500, throughputRuns16: 2000, throughputRuns64: 4000,
      streams: 30, streamWarmup: 3, webhooks: 100, webhookWarmup: 5, memoryRuns: 10_000,
      budgets: { memory_after: 120, latency: 60, throughput: 90, streaming: 45, webhooks: 45 },
      totalSeconds: 280,
    },
    official: {
      warmup: 5, latencyRuns: 50, throughputRuns16: 160, throughputRuns64: 320,
      streams: 10, streamWarmup: 2, webhooks: 30, webhookWarmup: 2, memoryRuns: 1000,
      budgets: { memory_after: 120, latency: 90, throughput: 120, streaming: 45, webhooks: 90 },
      totalSeconds: 270,
    },
  },
  quick: {
    floor: { plainRuns: 500, sqliteRuns: 300, warmup: 50 },
    hookgraph: {
      warmup: 20, latencyRuns: 100, throughputRuns16: 300, throughputRuns64: 600,
      streams: 8, streamWarmup: 2, webhooks: 20, webhookWarmup: 3, memoryRuns: 2000,
      budgets: { memory_after: 15, latency: 8, throughput: 12, streaming: 8, webhooks: 8 },
      totalSeconds: 45,
    },
    official: {
      warmup: 3, latencyRuns: 8, throughputRuns16: 48, throughputRuns64: 128,
      streams: 3, streamWarmup: 1, webhooks: 5, webhookWarmup: 1, memoryRuns: 100,
      budgets: { memory_after: 15, latency: 20, throughput: 25, streaming: 10, webhooks: 10 },
      totalSeconds: 60,
    },
  },
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
  const profileName = values.quick ? "quick" : "full";
  return {
    profileName,
    profile: PROFILES[profileName],
    servers: values.only ? [values.only] : SERVER_NAMES,
    floor: !values["no-floor"],
    build: !values["no-build"],
    rounds,
  };
}

export function budgetSeconds(counts, figureId) {
  return counts.budgets[figureId] ?? DEFAULT_BUDGET_SECONDS;
}

