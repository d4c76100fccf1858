// The official LangGraph.js dev server (`langgraphjs dev`), pinned in bench/official/package.json.
import { existsSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { BENCH_DIR } from "../paths.js";
import { freePort } from "../net.js";
import { listeningPid } from "../proc.js";
import { spawnServer } from "./process.js";
import { serverEnv } from "./env.js";

const PREFIX = join(BENCH_DIR, "official");
const CLI = join(PREFIX, "node_modules", "@langchain", "langgraph-cli", "dist", "cli", "cli.mjs");
const STARTUP_SECONDS = 120;

/** Installs the pinned packages from package-lock.json when they are missing. */
function prepare({ say }) {
  if (existsSync(CLI)) return;
  say(`installing the official server: npm ci --prefix ${PREFIX}`);
  const result = spawnSync("npm", ["ci", "--prefix", PREFIX, "--no-audit", "--no-fund"], {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 300_000,
  });
  if (result.status !== 0 || !existsSync(CLI)) {
    throw new Error(`npm ci --prefix ${PREFIX} failed (${result.error?.message ?? `exit ${result.status}`})`);
  }
}

async function start({ configPath, logFile }) {
  // The dev server keeps its in-memory state in .langgraph_api/ beside langgraph.json between
  // restarts; each benchmark starts empty.
  const stateDir = join(dirname(configPath), ".langgraph_api");
  rmSync(stateDir, { recursive: true, force: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    CLI, "dev",
    "--host", "127.0.0.1",
    "--port", String(port),
    "--config", configPath,
    "--no-browser",
    "--no-reload",
    // Without it the CLI builds a LangSmith client to derive the Studio address; nothing uses it here.
    "--studio-url", url,
  ];
  const proc = spawnServer({ command: process.execPath, args, cwd: dirname(configPath), env: serverEnv(), logFile });
  try {
    await proc.waitForHttp(`${url}/ok`, STARTUP_SECONDS);
    const startupMs = proc.elapsedMs();
    return {
      url,
      rootPid: proc.pid,
      // The CLI runs tsx, which runs the API server: the listener is two processes down.
      pid: listeningPid(proc.pid, port),
      startupMs,
      recentOutput: proc.recentOutput,
      async stop() {
        await proc.stop();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await proc.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

export const official = {
  name: "official",
  label: "official (langgraphjs dev 1.5.1)",
  // The dev server answers 500 to every /runs/crons call and has no webhook backlog or stored-data tiers.
  features: { webhookBacklog: false, crons: false, storedScale: false },
  prepare,
  start,
};
