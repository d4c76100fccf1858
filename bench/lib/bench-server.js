// Runs every figure against one server: start it, measure, stop it. A failing figure is recorded
// with its message and the next one still runs; only a server that cannot start ends early.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { makeSpreadClient } from "./client.js";
import { deadlineIn, nowMs } from "./clock.js";
import { CONFIG_PATH } from "./paths.js";
import { budgetSeconds } from "./options.js";
import { startWebhookReceiver } from "./webhook-receiver.js";
import { FIGURES } from "./figures/index.js";
import { NotAvailableYet } from "./figures/unavailable.js";

// Kinds whose processes are this checkout's hookgraph: --profile and --hookgraph-args apply to them.
const HOOKGRAPH_KINDS = new Set(["hookgraph", "postgres"]);

/** The figures `definition` measures, of those selected. */
function figuresOf(definition, selected) {
  return FIGURES.filter((f) => selected.includes(f.id) && (definition.figures ?? [f.id]).includes(f.id));
}

function failAll(result, message, figures) {
  result.error = message;
  for (const figure of figures) result.figures[figure.id] ??= { error: message };
  return result;
}

function formatSummary(outcome) {
  if (outcome.error) return `FAILED: ${outcome.error}`;
  if (outcome.unavailable) return outcome.unavailable;
  if (outcome.notApplicable) return `n/a: ${outcome.notApplicable}`;
  return `done in ${(outcome.seconds ?? 0).toFixed(1)}s (${outcome.samples})`;
}

/** Extra servers a figure starts (hookgraph on a seeded data dir): own log files, same node flags. */
function launcher(definition, { logDir, nodeArgs, serverArgs, say }) {
  const live = new Set();
  let serial = 0;
  const launch = async ({ tag, configPath = CONFIG_PATH, ...rest }) => {
    serial += 1;
    const logFile = join(logDir, `${definition.name}-${serial}-${tag}.log`);
    const server = await definition.start({ configPath, logFile, nodeArgs, serverArgs, ...rest });
    const stop = server.stop;
    server.log = logFile;
    server.stop = async () => {
      live.delete(server);
      for (const file of (await stop()) ?? []) say(`    cpu profile of the ${tag} server (pid ${server.rootPid}): ${file}`);
    };
    live.add(server);
    return server;
  };
  const stopAll = async () => {
    for (const server of [...live]) await server.stop();
  };
  return { launch, stopAll };
}

/**
 * `definition`: name, label, prepare, start, `features` (figure features it has), and optionally
 * `kind` (its entry of the profile, e.g. "postgres" for every deployment on PostgreSQL; default its name) and
 * `figures` (the only figure ids it measures; default all).
 */
export async function benchServer(definition, { profile, rounds, build, say, logDir, figures: selected, cpuProfile, hookgraphArgs }) {
  const kind = definition.kind ?? definition.name;
  const measured = figuresOf(definition, selected);
  const counts = profile[kind];
  const result = { name: definition.name, label: definition.label, figures: {} };
  say(`\n== ${definition.label}`);
  try {
    definition.prepare({ say, build });
  } catch (error) {
    say(`  cannot prepare: ${error.message}`);
    return failAll(result, `cannot prepare the server: ${error.message}`, measured);
  }

  const logFile = join(logDir, `${definition.name}.log`);
  // --cpu-prof writes on a clean exit; the servers get SIGTERM first, which hookgraph handles.
  const profileDir = join(logDir, "cpu-profiles");
  const nodeArgs = cpuProfile && HOOKGRAPH_KINDS.has(kind) ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  if (nodeArgs.length) mkdirSync(profileDir, { recursive: true });
  const serverArgs = HOOKGRAPH_KINDS.has(kind) ? hookgraphArgs : [];
  const extra = launcher(definition, { logDir, nodeArgs, serverArgs, say });
  let server;
  try {
    server = await definition.start({ configPath: CONFIG_PATH, logFile, nodeArgs, serverArgs });
  } catch (error) {
    say(`  cannot start: ${error.message}`);
    return failAll(result, `cannot start the server: ${error.message.split("\n")[0]} (log: ${error.log ?? logFile})`, measured);
  }
  result.startupMs = server.startupMs;
  result.pid = server.pid;
  result.log = server.members ? server.members.map((m) => m.log).join(", ") : logFile;
  if (server.members) {
    result.members = server.members.map((m) => ({ role: m.role, url: m.url, pid: m.pid, log: m.log }));
    const processes = server.members.length === 1 ? "1 process" : `${server.members.length} processes`;
    say(`  ${processes} answered after ${(server.startupMs / 1000).toFixed(1)}s (database ${server.database}, Redis prefix ${server.redisPrefix}):`);
    for (const m of server.members) say(`    ${m.role} ${m.url} (pid ${m.pid}, log ${m.log})`);
  } else {
    say(`  listening on ${server.url} after ${(server.startupMs / 1000).toFixed(1)}s (server pid ${server.pid}, log ${logFile})`);
  }

  const receiver = await startWebhookReceiver();
  // Caps the whole server, so a slow server cannot push the run past its promised duration.
  const serverDeadline = deadlineIn(counts.totalSeconds);
  try {
    const client = makeSpreadClient(server.urls ?? [server.url]);
    for (const figure of measured) {
      if (figure.feature && !definition.features[figure.feature]) {
        result.figures[figure.id] = { notApplicable: `${definition.name} has no such feature` };
        continue;
      }
      if (serverDeadline.passed()) {
        result.figures[figure.id] = { error: `skipped: ${definition.name}'s total time budget of ${counts.totalSeconds}s was spent` };
        say(`  ${figure.title}: ${formatSummary(result.figures[figure.id])}`);
        continue;
      }
      const budget = budgetSeconds(counts, figure.id);
      const left = serverDeadline.leftMs() / 1000;
      const ctx = {
        server,
        launch: extra.launch,
        client,
        counts,
        rounds,
        receiver,
        deadline: deadlineIn(Math.min(budget, left)),
        hardDeadline: deadlineIn(Math.min(budget * 2, left)),
        serverDeadline,
      };
      const started = nowMs();
      let outcome;
      try {
        outcome = { ...(await figure.run(ctx)), seconds: (nowMs() - started) / 1000 };
        await extra.stopAll();
      } catch (error) {
        await extra.stopAll();
        if (error instanceof NotAvailableYet) {
          outcome = { unavailable: error.message };
        } else {
          const gone = !existsSync(`/proc/${server.pid}`) ? " (the server process has exited; see its log)" : "";
          outcome = { error: `${error.message}${gone}`, seconds: (nowMs() - started) / 1000 };
        }
      }
      result.figures[figure.id] = outcome;
      say(`  ${figure.title}: ${formatSummary(outcome)}`);
    }
  } finally {
    await receiver.close();
    await extra.stopAll();
    const whose = server.members ? "a process of the deployment (its pid is in the name)" : `the main server (pid ${server.rootPid})`;
    for (const file of (await server.stop()) ?? []) say(`  cpu profile of ${whose}: ${file}`);
  }
  return result;
}
