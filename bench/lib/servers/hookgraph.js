// hookgraph itself, started from this checkout's bin/ after `npm run build`.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT_DIR } from "../paths.js";
import { listeningPid } from "../proc.js";
import { spawnServer } from "./process.js";
import { serverEnv } from "./env.js";

const BIN = join(ROOT_DIR, "bin", "hookgraph.js");
const BUILT = join(ROOT_DIR, "dist", "cli", "main.js");
const STARTUP_SECONDS = 60;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** Builds dist/ when it is missing or older than src/, so the figures are of the code in the tree. */
export function prepare({ say, build }) {
  const stale = !existsSync(BUILT) || newestMtime(join(ROOT_DIR, "src")) > statSync(BUILT).mtimeMs;
  if (!stale) return;
  if (!build) {
    if (!existsSync(BUILT)) throw new Error("dist/ is missing: run `npm run build` (or drop --no-build)");
    say("warning: dist/ is older than src/ and --no-build was given; measuring the old build");
    return;
  }
  say("building hookgraph: npm run build -- --noEmitOnError");
  // A tree that does not compile (someone mid-change) must not overwrite the dist/ that works.
  const result = spawnSync("npm", ["run", "build", "--", "--noEmitOnError"], { cwd: ROOT_DIR, encoding: "utf8", timeout: 300_000 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim().split("\n").slice(-10).join("\n    | ");
    throw new Error(`npm run build failed (${result.error?.message ?? `exit ${result.status}`}; --no-build measures the existing dist/):\n    | ${output}`);
  }
}

/** A new empty data dir for a hookgraph server; figures that seed storage fill it before start(). */
export function makeDataDir() {
  return mkdtempSync(join(tmpdir(), "hookgraph-bench-"));
}

/**
 * The profiles `node --cpu-prof --cpu-prof-dir=DIR` wrote for `pid`: one per thread (the main
 * thread, module-loader and worker threads), named CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile.
 */
function profilesOf(nodeArgs, pid) {
  const dir = nodeArgs.find((arg) => arg.startsWith("--cpu-prof-dir="))?.slice("--cpu-prof-dir=".length);
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.includes(`.${pid}.`) && file.endsWith(".cpuprofile"))
    .map((file) => join(dir, file));
}

/**
 * Spawns `hookgraph <command>` (dev, serve, api, worker) listening on a free port of 127.0.0.1 and
 * waits until it answers `/ok`. `flags` are the command's own (data dir, config), `env` is added to
 * the quiet environment; `nodeArgs` go before the script (e.g. --cpu-prof), `serverArgs` last
 * (--hookgraph-args). stop() resolves with the paths of the CPU profiles written (none without --cpu-prof).
 */
export async function startHookgraphProcess({ command, flags, env = {}, logFile, nodeArgs = [], serverArgs = [] }) {
  const args = [...nodeArgs, BIN, command, "--host", "127.0.0.1", "--port", "0", ...flags, "--log-level", "warn", "--no-ui", ...serverArgs];
  const proc = spawnServer({ command: process.execPath, args, cwd: ROOT_DIR, env: serverEnv(env), logFile });
  try {
    const [, url] = await proc.waitForLine(/listening on (http:\/\/\S+)/, STARTUP_SECONDS);
    await proc.waitForHttp(`${url}/ok`, 10);
    const port = Number(new URL(url).port);
    return {
      url,
      rootPid: proc.pid,
      pid: listeningPid(proc.pid, port),
      startupMs: proc.elapsedMs(),
      recentOutput: proc.recentOutput,
      stop: async () => {
        await proc.stop();
        return profilesOf(nodeArgs, proc.pid);
      },
    };
  } catch (error) {
    await proc.stop();
    throw error;
  }
}

/**
 * Starts `hookgraph dev` on `dataDir` (a new temp dir when omitted). The data dir is deleted on
 * stop unless `keepDataDir` (the caller owns it).
 */
async function start({ configPath, logFile, dataDir, keepDataDir = false, nodeArgs = [], serverArgs = [] }) {
  const dir = dataDir ?? makeDataDir();
  const removeDir = () => {
    if (!keepDataDir) rmSync(dir, { recursive: true, force: true });
  };
  let server;
  try {
    server = await startHookgraphProcess({ command: "dev", flags: ["--data-dir", dir, "--config", configPath], logFile, nodeArgs, serverArgs });
  } catch (error) {
    removeDir();
    throw error;
  }
  const stop = server.stop;
  return {
    ...server,
    dataDir: dir,
    stop: async () => {
      const profiles = await stop();
      removeDir();
      return profiles;
    },
  };
}

export const hookgraph = {
  name: "hookgraph",
  label: "hookgraph (this checkout)",
  features: { webhookBacklog: true, crons: true, storedScale: true },
  prepare,
  start,
};
