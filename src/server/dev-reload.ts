import { relative } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import { readLangGraphJson, type GraphSpec, type LangGraphJson } from "../config/langgraph-json.js";
import type { EnvChanges, ProjectEnv } from "../config/project-env.js";
import { graphImporter } from "../runtime/graph-importer.js";
import type { GraphRegistry } from "../runtime/graph-loader.js";
import { GraphWatcher } from "../runtime/graph-watcher.js";

/** What the dashboard shows of the reloads: the error is the latest reload's, cleared by a good one. */
export interface DevReloadStatus {
  /** Successful reloads since start. */
  generation: number;
  reloaded_at: string | null;
  error: { message: string; at: string } | null;
}

export interface DevReloadOptions {
  configPath: string;
  /** The project as the server started with it. */
  project: LangGraphJson;
  /** The main thread's graphs (API, thread state, and runs with `--workers 0`). */
  registry: GraphRegistry;
  /** Graph worker threads, when runs execute there. */
  workers?: { reload(graphs: GraphSpec[], env: EnvChanges): Promise<void> };
  /** Runs executing now: they finish on the code they started with. */
  executing(): number;
  env: ProjectEnv;
  /** Creates the system assistants of graphs that are new in langgraph.json. */
  ensureAssistants(graphIds: string[]): Promise<void>;
  logger: FastifyBaseLogger;
  debounceMs?: number;
}

/**
 * `hookgraph dev`'s reload: watches the graphs' files and the project files they import,
 * langgraph.json and its env file, and on a change loads the graphs afresh in this thread and
 * in every graph worker thread, keeping the server, its data and its connections. A change that
 * does not load (a syntax error, a throwing import, a broken langgraph.json) leaves the last good
 * code serving and is reported in the log and on the dashboard until a later save loads.
 * Only `graphs` and `env` of langgraph.json are reloaded; its other keys need a restart.
 */
export class DevReloader {
  private readonly watcher: GraphWatcher;
  private readonly stopListening: () => void;
  private current: DevReloadStatus = { generation: 0, reloaded_at: null, error: null };
  private reloading: Promise<void> | undefined;
  private changedSince: string[] = [];
  /** Environment changes applied here whose graphs did not load yet: the workers still need them. */
  private unsentEnv: EnvChanges = {};

  constructor(private readonly options: DevReloadOptions) {
    this.watcher = new GraphWatcher({
      debounceMs: options.debounceMs,
      onChange: (paths) => this.changed(paths),
      onError: (error, dir) => options.logger.warn({ dir, err: { message: error.message } }, "cannot watch a directory for changes"),
    });
    this.watchProject(options.project);
    // Imports are reported as they load, also those of later generations (a new helper file).
    this.stopListening = graphImporter().onProjectFile((path) => this.watcher.add(path));
  }

  status(): DevReloadStatus {
    return this.current;
  }

  close(): void {
    this.stopListening();
    this.watcher.close();
  }

  private watchProject(project: LangGraphJson): void {
    this.watcher.add(this.options.configPath);
    if (project.envFile) this.watcher.add(project.envFile);
    // Named even before they load: a file that fails on its first load is watched all the same.
    for (const spec of project.graphs) this.watcher.add(spec.modulePath);
  }

  private changed(paths: string[]): void {
    this.changedSince.push(...paths);
    // One reload at a time; saves during one are taken by the next.
    this.reloading ??= this.reloadWhileChanged().finally(() => (this.reloading = undefined));
  }

  private async reloadWhileChanged(): Promise<void> {
    while (this.changedSince.length > 0) {
      const files = [...new Set(this.changedSince.splice(0))];
      await this.reload(files);
    }
  }

  private async reload(files: string[]): Promise<void> {
    const { logger, registry } = this.options;
    const started = performance.now();
    // Counted before the new code serves: these runs finish on the code they started with.
    const executing = this.options.executing();
    const shown = files.map((file) => relative(this.options.project.configDir, file) || file);
    try {
      const project = readLangGraphJson(this.options.configPath);
      this.watchProject(project);
      // Before the graphs load: their modules may read the environment when imported.
      this.unsentEnv = { ...this.unsentEnv, ...this.options.env.apply(project.env) };
      await registry.reload(project.graphs);
      await this.options.workers?.reload(project.graphs, this.unsentEnv);
      this.unsentEnv = {};
      await this.options.ensureAssistants(registry.ids());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.current = { ...this.current, error: { message, at: new Date().toISOString() } };
      logger.error({ files: shown, err: error }, `graph reload failed; the previous code keeps serving: ${message}`);
      return;
    }
    this.current = { generation: this.current.generation + 1, reloaded_at: new Date().toISOString(), error: null };
    logger.info(
      { files: shown, generation: this.current.generation, ms: Math.round(performance.now() - started), executing },
      executing > 0
        ? `graphs reloaded; ${executing} run(s) already executing finish on the code they started with`
        : "graphs reloaded",
    );
  }
}
