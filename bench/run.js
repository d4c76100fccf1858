#!/usr/bin/env node
// `npm run bench`: hookgraph and the official LangGraph.js dev server, one after the other, on the
// same graphs with the same SDK client code (with --postgres, hookgraph scaled out on PostgreSQL +
// Redis as well); prints tables and writes bench/results/*.json.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseOptions } from "./lib/options.js";
import { describeMachine, formatMachine } from "./lib/machine.js";
import { measureFloor } from "./lib/figures/floor.js";
import { benchServer } from "./lib/bench-server.js";
import { addOverhead, renderReport, writeJson } from "./lib/report.js";
import { RESULTS_DIR } from "./lib/paths.js";
import { hookgraph } from "./lib/servers/hookgraph.js";
import { official } from "./lib/servers/official.js";
import { postgresServe, postgresSplit } from "./lib/servers/postgres.js";

const SERVERS = { hookgraph, official };

/** The servers measured, in order: those of --only, then with --postgres each deployment on PostgreSQL. */
function definitionsOf(options) {
  const chosen = options.servers.map((name) => SERVERS[name]);
  if (!options.postgres) return chosen;
  // A deployment none of whose figures is selected (--figures) is not started.
  const deployments = [...options.postgres.map(postgresServe), postgresSplit].filter((d) => d.figures.some((id) => options.figures.includes(id)));
  return [...chosen, ...deployments];
}

// A reader that goes away (`| head`) ends the run; the exit hook in lib/servers/process.js stops the servers.
process.stdout.on("error", () => process.exit(1));

function say(line) {
  process.stdout.write(`${line}\n`);
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (options.help) {
    say(options.help);
    return 0;
  }
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const machine = describeMachine();
  const logDir = join(RESULTS_DIR, `logs-${startedAt.replace(/[:.]/g, "-")}`);
  mkdirSync(logDir, { recursive: true });
  const definitions = definitionsOf(options);
  say(`hookgraph benchmark (${options.profileName}): ${definitions.map((d) => d.name).join(", ")}; ${formatMachine(machine)}`);
  if (options.hookgraphArgs.length) say(`hookgraph servers get the extra flags: ${options.hookgraphArgs.join(" ")}`);

  let floor;
  if (options.floor) {
    say("\n== floor: echo graph invoked in-process");
    try {
      floor = await measureFloor({ ...options.profile.floor, rounds: options.rounds });
      say(`  done (${floor.samples})`);
    } catch (error) {
      floor = { error: error.message };
      say(`  FAILED: ${error.message}`);
    }
  }

  const results = {};
  for (const definition of definitions) {
    const result = await benchServer(definition, { ...options, say, logDir });
    if (definition.processes) result.processes = definition.processes;
    addOverhead(result, floor);
    results[definition.name] = result;
  }

  machine.loadAverageAtEnd = describeMachine().loadAverage;
  const report = {
    startedAt,
    profile: options.profileName,
    rounds: options.rounds,
    figures: options.figures,
    hookgraphArgs: options.hookgraphArgs,
    postgresProcesses: options.postgres,
    cpuProfile: options.cpuProfile,
    elapsedSeconds: (performance.now() - started) / 1000,
    machine,
    counts: Object.fromEntries(definitions.map((d) => d.kind ?? d.name).map((kind) => [kind, options.profile[kind]])),
    floor,
    results,
  };
  say(renderReport({ ...report, profileName: options.profileName }));
  const file = writeJson(RESULTS_DIR, report);
  say(`wrote ${file} (${report.elapsedSeconds.toFixed(0)}s in all; server logs in ${logDir})`);
  const failed = Object.values(results).some((r) => r.error || Object.values(r.figures).some((f) => f.error));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
