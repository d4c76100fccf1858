// Spawning a server under test in its own process group, waiting until it answers, stopping it.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { deadlineIn, nowMs, sleep } from "../clock.js";

const TAIL_LINES = 15;

// Process groups still running. If the harness dies (Ctrl-C, a closed stdout pipe, a crash), the
// servers are detached and would outlive it: kill them on the way out.
const liveGroups = new Set();
process.on("exit", () => {
  for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => process.exit(130));
}

/**
 * Starts `command args` detached (its own process group, so stop() reaches grandchildren such as
 * the official CLI's tsx workers) with stdout/stderr copied to `logFile`.
 */
export function spawnServer({ command, args, cwd, env, logFile }) {
  const spawnedAt = nowMs();
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid) liveGroups.add(child.pid);
  const log = createWriteStream(logFile);
  const tail = [];
  const lineWaiters = [];
  let buffered = "";
  const onData = (chunk) => {
    log.write(chunk);
    buffered += chunk.toString("utf8");
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      for (const waiter of [...lineWaiters]) {
        const match = waiter.pattern.exec(line);
        if (match) {
          lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
          waiter.resolve(match);
        }
      }
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);

  let exitInfo;
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
    child.on("error", (error) => {
      exitInfo = { code: null, signal: null, error };
      resolve(exitInfo);
    });
  });

  const describeExit = () => {
    const how = exitInfo.error ? exitInfo.error.message : `exit code ${exitInfo.code ?? exitInfo.signal}`;
    return `server exited before it was ready (${how}); last output:\n${recentOutput()}`;
  };
  const recentOutput = () => tail.map((line) => `    | ${line}`).join("\n");

  return {
    pid: child.pid,
    recentOutput,
    /** Milliseconds since spawn: the startup time once the server answers. */
    elapsedMs: () => nowMs() - spawnedAt,
    /** Resolves with the first output line matching `pattern`; rejects on exit or after `seconds`. */
    async waitForLine(pattern, seconds) {
      const found = new Promise((resolve) => lineWaiters.push({ pattern, resolve }));
      const result = await Promise.race([found, exited.then(() => "exit"), sleep(seconds * 1000).then(() => "timeout")]);
      if (result === "exit") throw new Error(describeExit());
      if (result === "timeout") throw new Error(`no line matching ${pattern} within ${seconds}s; last output:\n${recentOutput()}`);
      return result;
    },
    /** Polls GET `url` until it answers 2xx. */
    async waitForHttp(url, seconds) {
      const deadline = deadlineIn(seconds);
      while (!deadline.passed()) {
        if (exitInfo) throw new Error(describeExit());
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
          await response.arrayBuffer();
          if (response.ok) return;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      throw new Error(`${url} did not answer within ${seconds}s; last output:\n${recentOutput()}`);
    },
    /** SIGTERM to the whole group, SIGKILL after `graceSeconds`. */
    async stop(graceSeconds = 5) {
      if (!exitInfo) {
        signalGroup(child.pid, "SIGTERM");
        const result = await Promise.race([exited, sleep(graceSeconds * 1000).then(() => "timeout")]);
        if (result === "timeout") signalGroup(child.pid, "SIGKILL");
        await Promise.race([exited, sleep(2000)]);
      }
      // Grandchildren that outlived their parent are still in the group.
      signalGroup(child.pid, "SIGKILL");
      liveGroups.delete(child.pid);
      await new Promise((resolve) => log.end(resolve));
    },
  };
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}
