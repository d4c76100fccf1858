import { existsSync } from "node:fs";
import type { RunnableConfig } from "@langchain/core/runnables";
import * as ownLangGraph from "@langchain/langgraph";
import type { BaseCheckpointSaver, BaseStore, Pregel } from "@langchain/langgraph";
import type { SerializerProtocol } from "@langchain/langgraph-checkpoint";
import type { GraphSpec } from "../config/langgraph-json.js";
import { graphImporter, type GraphImporter } from "./graph-importer.js";
import { userFrame } from "./user-frame.js";

/**
 * A compiled graph of any state shape. The user's graph types are unknown to us, so the generic
 * parameters are open (as in the library's own `Pregel<any, any>` uses).
 */
export type RuntimeGraph = Pregel<any, any>;

type GraphFactory = (config: RunnableConfig) => unknown;

/** The LangGraph classes a graph's own copy of @langchain/langgraph uses (see `GraphImporter`). */
export interface GraphLibrary {
  Command: typeof ownLangGraph.Command;
  Send: typeof ownLangGraph.Send;
}

const GRAPH_LIBRARY = Symbol("hookgraph.graphLibrary");

/** The classes to build a Command/Send with for this graph (checked with `instanceof` inside it). */
export function graphLibrary(graph: RuntimeGraph): GraphLibrary {
  return (graph as unknown as { [GRAPH_LIBRARY]?: GraphLibrary })[GRAPH_LIBRARY] ?? ownLangGraph;
}

interface LoadedGraph {
  spec: GraphSpec;
  library: GraphLibrary;
  /** The module's graph, or a factory called per use with the run's config. */
  source: { kind: "compiled"; graph: RuntimeGraph } | { kind: "factory"; factory: GraphFactory };
  /** Compiled graphs: one copy with our checkpointer and store, shared by all runs. */
  attached?: RuntimeGraph;
}

export class GraphLoadError extends Error {
  override name = "GraphLoadError";
}

export class GraphNotFoundError extends Error {
  override name = "GraphNotFoundError";
  constructor(readonly graphId: string) {
    super(`Graph "${graphId}" not found`);
  }
}

export interface GraphRegistryOptions {
  checkpointer?: BaseCheckpointSaver;
  store?: BaseStore;
}

export interface GetGraphOptions {
  /** `false`: no checkpointer (ephemeral runs); a saver: use it instead of the registry's. */
  checkpointer?: BaseCheckpointSaver | false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Duck-typed so graphs built against the user's own copy of @langchain/langgraph are accepted. */
function isCompiledGraph(value: unknown): value is RuntimeGraph {
  return (
    isObject(value) &&
    typeof value.stream === "function" &&
    typeof value.invoke === "function" &&
    typeof value.getState === "function" &&
    typeof value.withConfig === "function"
  );
}

function isUncompiledGraph(value: unknown): value is { compile(): unknown } {
  return isObject(value) && typeof value.compile === "function" && typeof value.addNode === "function";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (isObject(value)) return `an object (${value.constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}

/**
 * Turns what a module exported (or a factory returned) into a compiled graph: compiles a
 * StateGraph, unwraps agent wrappers that hold their compiled graph in `.graph`.
 */
function toCompiled(value: unknown, where: string): RuntimeGraph {
  if (isObject(value) && isCompiledGraph(value.graph) && !isCompiledGraph(value)) return value.graph;
  if (isCompiledGraph(value)) return value;
  if (isUncompiledGraph(value)) {
    const compiled = value.compile();
    if (isCompiledGraph(compiled)) return compiled;
  }
  throw new GraphLoadError(
    `${where} is not a graph: expected a compiled graph, a StateGraph or a function returning one, got ${describe(value)}`,
  );
}

function label(spec: GraphSpec): string {
  return `graph "${spec.graphId}" (export "${spec.exportName}" of ${spec.modulePath})`;
}

async function libraryFor(importer: GraphImporter, modulePath: string): Promise<GraphLibrary> {
  try {
    const lib = (await importer.importPackage("@langchain/langgraph", modulePath)) as Partial<GraphLibrary>;
    if (typeof lib.Command === "function" && typeof lib.Send === "function") return { Command: lib.Command, Send: lib.Send };
  } catch {
    // The graph's package does not resolve @langchain/langgraph itself: it uses ours.
  }
  return ownLangGraph;
}

/**
 * Imports the module named by a langgraph.json entry (as of `generation`, a fresh one by default)
 * and resolves its export.
 */
export async function loadGraphSpec(spec: GraphSpec, generation = graphImporter().nextGeneration()): Promise<LoadedGraph> {
  const importer = graphImporter();
  if (!existsSync(spec.modulePath)) {
    throw new GraphLoadError(`Cannot load graph "${spec.graphId}": file ${spec.modulePath} does not exist`);
  }
  let module: Record<string, unknown>;
  try {
    module = (await importer.importModule(spec.modulePath, generation)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // The message alone rarely says where (a ReferenceError at import time): name the line too.
    const where = userFrame(error);
    throw new GraphLoadError(
      `Cannot load graph "${spec.graphId}": importing ${spec.modulePath} failed: ${reason}${where && !reason.includes(where) ? ` (at ${where})` : ""}`,
      { cause: error },
    );
  }
  // A CommonJS module's exports sit under `default` when imported from ESM.
  const cjsExports = isObject(module.default) ? module.default : undefined;
  let exported = module[spec.exportName] ?? cjsExports?.[spec.exportName];
  if (exported === undefined) {
    const names = [...new Set([...Object.keys(module), ...Object.keys(cjsExports ?? {})])].filter((n) => n !== "__esModule");
    throw new GraphLoadError(
      `Cannot load graph "${spec.graphId}": ${spec.modulePath} has no export "${spec.exportName}" (exports: ${names.join(", ") || "none"})`,
    );
  }
  exported = await exported;
  const library = await libraryFor(importer, spec.modulePath);
  if (typeof exported === "function" && !isCompiledGraph(exported)) {
    return { spec, library, source: { kind: "factory", factory: exported as GraphFactory } };
  }
  return { spec, library, source: { kind: "compiled", graph: toCompiled(exported, label(spec)) } };
}

async function loadGeneration(specs: GraphSpec[]): Promise<Map<string, LoadedGraph>> {
  const generation = graphImporter().nextGeneration();
  const loaded = new Map<string, LoadedGraph>();
  for (const spec of specs) loaded.set(spec.graphId, await loadGraphSpec(spec, generation));
  return loaded;
}

/**
 * The graphs of langgraph.json, handed out with our checkpointer and store attached. `reload`
 * swaps in a new generation of the project's code; a run keeps the graph it was handed.
 */
export class GraphRegistry {
  private constructor(
    private graphs: Map<string, LoadedGraph>,
    readonly checkpointer: BaseCheckpointSaver | undefined,
    readonly store: BaseStore | undefined,
  ) {}

  /**
   * Loads every graph; fails on the first one that cannot be loaded, naming it and its file.
   * Also gives the checkpointer the graphs' own serializer, so messages read back from checkpoints
   * are instances of the classes the graphs import (user code may test `instanceof AIMessage`).
   */
  static async load(specs: GraphSpec[], options: GraphRegistryOptions = {}): Promise<GraphRegistry> {
    const loaded = await loadGeneration(specs);
    if (options.checkpointer && specs.length > 0) {
      const serde = await graphSerializer(graphImporter(), specs[0].modulePath);
      if (serde) options.checkpointer.serde = serde;
    }
    return new GraphRegistry(loaded, options.checkpointer, options.store);
  }

  /**
   * Loads the project's files afresh and serves them from now on. Runs already executing keep
   * the graphs they hold; when any graph fails to load, this throws and the current ones stay.
   * Packages are not loaded again (see `GraphImporter`), so the serializer stays valid.
   */
  async reload(specs: GraphSpec[]): Promise<void> {
    this.graphs = await loadGeneration(specs);
  }

  ids(): string[] {
    return [...this.graphs.keys()];
  }

  has(graphId: string): boolean {
    return this.graphs.has(graphId);
  }

  spec(graphId: string): GraphSpec {
    return this.entry(graphId).spec;
  }

  /** True when the export is a factory (built per run from the run's config). */
  isFactory(graphId: string): boolean {
    return this.entry(graphId).source.kind === "factory";
  }

  /**
   * The compiled graph for a run. Never mutates the user's object: the checkpointer and store are
   * set on a copy (`withConfig`), cached for static graphs, made per call for factories.
   */
  async get(graphId: string, config: RunnableConfig = {}, options: GetGraphOptions = {}): Promise<RuntimeGraph> {
    const entry = this.entry(graphId);
    const useDefault = options.checkpointer === undefined;
    if (entry.source.kind === "compiled") {
      if (useDefault) return (entry.attached ??= this.attach(entry.source.graph, this.checkpointer, entry.library));
      return this.attach(entry.source.graph, options.checkpointer || undefined, entry.library);
    }
    let produced: unknown;
    try {
      produced = await entry.source.factory(config);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new GraphLoadError(`The factory of ${label(entry.spec)} failed: ${reason}`, { cause: error });
    }
    const compiled = toCompiled(produced, `The value returned by the factory of ${label(entry.spec)}`);
    return this.attach(compiled, useDefault ? this.checkpointer : options.checkpointer || undefined, entry.library);
  }

  private entry(graphId: string): LoadedGraph {
    const entry = this.graphs.get(graphId);
    if (!entry) throw new GraphNotFoundError(graphId);
    return entry;
  }

  private attach(graph: RuntimeGraph, checkpointer: BaseCheckpointSaver | undefined, library: GraphLibrary): RuntimeGraph {
    const copy = graph.withConfig({}) as RuntimeGraph;
    copy.checkpointer = checkpointer;
    copy.store = this.store;
    Object.defineProperty(copy, GRAPH_LIBRARY, { value: library });
    return copy;
  }
}

async function graphSerializer(importer: GraphImporter, modulePath: string): Promise<SerializerProtocol | undefined> {
  try {
    const lib = (await importer.importPackage("@langchain/langgraph-checkpoint", modulePath)) as {
      JsonPlusSerializer?: new () => SerializerProtocol;
    };
    return lib.JsonPlusSerializer ? new lib.JsonPlusSerializer() : undefined;
  } catch {
    return undefined;
  }
}
