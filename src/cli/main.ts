import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_OPTIONS, resolveConfig, type Mode, type Role } from "../config/config.js";
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
  databaseUri?: string;
  redisUri?: string;
  jobs: number;
  workers: number;
  runTimeout: number;
  leaseSeconds: number;
  shutdownGrace: number;
  ui: boolean;
  reload: boolean;
  logLevel: string;
}

interface ServerCommand {
  name: string;
  mode: Mode;
  role: Role;
  description: string;
}

const SERVER_COMMANDS: ServerCommand[] = [
  { name: "dev", mode: "dev", role: "all", description: "run the API and the queue in one process (development defaults)" },
  { name: "serve", mode: "serve", role: "all", description: "run the API and the queue in one process (production defaults)" },
  { name: "api", mode: "serve", role: "api", description: "run only the API (with DATABASE_URI and REDIS_URI; queue workers execute the runs)" },
  { name: "worker", mode: "serve", role: "worker", description: "run only the queue: runs, webhooks, crons (with DATABASE_URI and REDIS_URI; HTTP serves /ok and /metrics)" },
];

/** N_JOBS_PER_WORKER, as on the official server, or the built-in default. */
const defaultJobs = () => Number(process.env.N_JOBS_PER_WORKER ?? DEFAULT_OPTIONS.jobs);

function addServerCommand(program: Command, { name, mode, role, description }: ServerCommand): void {
  program
    .command(name)
    .description(description)
    .option("--config <path>", "path to langgraph.json", "langgraph.json")
    .option("--host <host>", "address to listen on", DEFAULT_OPTIONS.host)
    .option("--port <port>", "port to listen on", integer("--port"), DEFAULT_OPTIONS.port)
    .option("--data-dir <dir>", "directory of the embedded database (default: .hookgraph/ beside langgraph.json)")
    .option("--database-uri <uri>", "PostgreSQL for all state, shared by many processes (default: DATABASE_URI; unset: embedded SQLite)")
    .option("--redis-uri <uri>", "Redis carrying events and signals between processes (default: REDIS_URI)")
    .option("--jobs <n>", "runs executed at once by this process (default: N_JOBS_PER_WORKER or 10)", integer("--jobs"), defaultJobs())
    .option("--workers <n>", "graph worker threads (0: execute graphs on the main thread)", integer("--workers"), DEFAULT_OPTIONS.workers)
    .option("--run-timeout <seconds>", "a run longer than this ends with status timeout", integer("--run-timeout"), DEFAULT_OPTIONS.runTimeoutSeconds)
    .option("--lease-seconds <seconds>", "how long a dead process's runs wait before another takes them back", integer("--lease-seconds"), DEFAULT_OPTIONS.leaseSeconds)
    .option("--shutdown-grace <seconds>", "on SIGTERM, how long running runs may finish before being handed back", integer("--shutdown-grace"), DEFAULT_OPTIONS.shutdownGraceSeconds)
    .option("--no-ui", "do not serve the dashboard at /ui")
    .option("--log-level <level>", "fatal|error|warn|info|debug|trace", DEFAULT_OPTIONS.logLevel)
    // Only dev reloads: the other commands accept the flag, unlisted, and it changes nothing.
    .addOption(new Option("--no-reload", "do not reload the graphs when their files change").hideHelp(mode !== "dev"))
    .action(async (flags: ServerFlags) => {
      const config = resolveConfig({
        mode,
        role,
        configPath: flags.config,
        host: flags.host,
        port: flags.port,
        dataDir: flags.dataDir,
        databaseUri: flags.databaseUri,
        redisUri: flags.redisUri,
        jobs: flags.jobs,
        workers: flags.workers,
        runTimeoutSeconds: flags.runTimeout,
        leaseSeconds: flags.leaseSeconds,
        shutdownGraceSeconds: flags.shutdownGrace,
        sseHeartbeatMs: DEFAULT_OPTIONS.sseHeartbeatMs,
        ui: flags.ui,
        reload: flags.reload,
        logLevel: flags.logLevel,
      });
      const server = await startServer(config);
      process.stdout.write(banner(name, server.url, config.ui && role !== "worker", mode === "dev"));
      stopOnSignals(() => server.close());
    });
}

/** What the server prints once it listens, in one write: the URL first (scripts read that line). */
function banner(command: string, url: string, ui: boolean, studio: boolean): string {
  const lines = [`hookgraph ${VERSION} (${command}) listening on ${url}`];
  if (ui) lines.push(`  dashboard: ${url}/ui`);
  // dev answers browsers from any origin, so LangGraph Studio (a web page) can talk to it.
  if (studio) lines.push(`  LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=${url}`);
  return `${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command("hookgraph").version(VERSION).description("A LangGraph-compatible agent server");
  for (const command of SERVER_COMMANDS) addServerCommand(program, command);
  registerInspectCommand(program);
  await program.parseAsync(argv);
}
