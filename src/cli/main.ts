import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_OPTIONS, resolveConfig, type Mode } from "../config/config.js";
import { startServer } from "../server/start.js";
import { VERSION } from "../version.js";
import { stopOnSignals } from "./signals.js";
import { registerInspectCommand } from "../inspect/cli.js";

function integer(name: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value)) throw new InvalidArgumentError(`${name} must be an integer`);
    return value;
  };
}

interface ServerFlags {
  config: string;
  host: string;
  port: number;
  dataDir?: string;
  jobs: number;
  workers: number;
  runTimeout: number;
  ui: boolean;
  reload: boolean;
  logLevel: string;
}

function addServerCommand(program: Command, mode: Mode, description: string): void {
  program
    .command(mode)
    .description(description)
    .option("--config <path>", "path to langgraph.json", "langgraph.json")
    .option("--host <host>", "address to listen on", DEFAULT_OPTIONS.host)
    .option("--port <port>", "port to listen on", integer("--port"), DEFAULT_OPTIONS.port)
    .option("--data-dir <dir>", "directory of the embedded database (default: .hookgraph/ beside langgraph.json)")
    .option("--jobs <n>", "runs executed at once by this process", integer("--jobs"), DEFAULT_OPTIONS.jobs)
    .option("--workers <n>", "graph worker threads (0: execute graphs on the main thread)", integer("--workers"), DEFAULT_OPTIONS.workers)
    .option("--run-timeout <seconds>", "a run longer than this ends with status timeout", integer("--run-timeout"), DEFAULT_OPTIONS.runTimeoutSeconds)
    .option("--no-ui", "do not serve the dashboard at /ui")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace", DEFAULT_OPTIONS.logLevel)
    // serve never reloads: the flag is dev's (serve accepts it, unlisted, and it changes nothing).
    .addOption(new Option("--no-reload", "do not reload the graphs when their files change").hideHelp(mode === "serve"))
    .action(async (flags: ServerFlags) => {
      const config = resolveConfig({
        mode,
        configPath: flags.config,
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir,
        jobs: flags.jobs,
        workers: flags.workers,
        runTimeoutSeconds: flags.runTimeout,
        sseHeartbeatMs: DEFAULT_OPTIONS.sseHeartbeatMs,
        ui: flags.ui,
        reload: flags.reload,
        logLevel: flags.logLevel,
      });
      const server = await startServer(config);
      process.stdout.write(banner(mode, server.url, config.ui));
      stopOnSignals(() => server.close());
    });
}

/** What the server prints once it listens, in one write: the URL first (scripts read that line). */
function banner(mode: Mode, url: string, ui: boolean): string {
  const lines = [`hookgraph ${VERSION} (${mode}) listening on ${url}`];
  if (ui) lines.push(`  dashboard: ${url}/ui`);
  // dev answers browsers from any origin, so LangGraph Studio (a web page) can talk to it.
  if (mode === "dev") lines.push(`  LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=${url}`);
  return `${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command("hookgraph").version(VERSION).description("A LangGraph-compatible agent server");
  addServerCommand(program, "dev", "run API and workers in one process (development defaults)");
  addServerCommand(program, "serve", "run API and workers in one process (production defaults)");
  registerInspectCommand(program);
  await program.parseAsync(argv);
}
