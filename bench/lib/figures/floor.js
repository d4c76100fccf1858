import { spawn } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR, ROOT_DIR } from "../paths.js";
import { median } from "../stats.js";
import { metric } from "./metrics.js";

const TIMEOUT_MS = 180_000;

/**
 * The floor: the echo graph invoked in-process, without HTTP, with no checkpointer and with the
 * SQLite saver (checkpoints after every step, and only at exit).
 */
export async function measureFloor({ plainRuns, sqliteRuns, rounds, warmup }) {
  const args = ["--import", "tsx", join(BENCH_DIR, "lib", "floor-worker.js"), plainRuns, sqliteRuns, rounds, warmup].map(String);
  const output = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT_DIR, stdio: ["ignore", "pipe", "pipe"], timeout: TIMEOUT_MS });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`floor worker ended with ${code ?? signal}: ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
  const { plain, sqlite, sqliteExit } = JSON.parse(output.trim().split("\n").at(-1));
  return {
    samples: `${plainRuns} invokes (no checkpointer), ${sqliteRuns} invokes (SQLite, a new thread each) and ${sqliteRuns} (SQLite, durability exit) × ${rounds} rounds (+${warmup} warm-up each)`,
    metrics: [
      metric("floor_plain_p50", median(plain), { rounds: plain }),
      metric("floor_sqlite_p50", median(sqlite), { rounds: sqlite }),
      metric("floor_sqlite_exit_p50", median(sqliteExit), { rounds: sqliteExit }),
    ],
  };
}
