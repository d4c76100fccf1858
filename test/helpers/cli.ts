import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = fileURLToPath(new URL("../../bin/hookgraph.js", import.meta.url));

export interface CliProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Its own process group, signalled whole: for a command that starts hookgraph as its child
   * (`npx hookgraph`), so that no signal leaves the server running.
   */
  group?: boolean;
}

/**
 * Starts `hookgraph <args>` from the compiled CLI (as a user would) and waits until it prints its URL.
 */
export function startCli(args: string[], options: StartOptions = {}): Promise<CliProcess> {
  return startCommand(process.execPath, [CLI, ...args], options);
}

/** Starts a command that runs hookgraph and waits until hookgraph prints its URL. */
export function startCommand(command: string, args: string[], options: StartOptions = {}): Promise<CliProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.group === true,
  });
  const signal = (name: NodeJS.Signals) => (options.group ? process.kill(-child.pid!, name) : child.kill(name));
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    // Generous: start-up compiles TypeScript graphs, and a loaded CI machine can take many seconds.
    const timer = setTimeout(() => reject(new Error(`hookgraph did not start in time:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1],
          output: () => output,
          stop: async (name = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) signal(name);
            return exited;
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hookgraph exited with ${code} before listening:\n${output}`));
    });
  });
}

/** Runs `hookgraph <args>` to completion and returns its exit code and output. */
export function runCli(args: string[], options: { cwd?: string } = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, output })));
}
