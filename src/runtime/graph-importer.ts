import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire, register as registerHooks } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { register as registerCommonJs } from "tsx/cjs/api";
import { register } from "tsx/esm/api";

/**
 * Imports the project's graph modules through tsx (TypeScript, ESM and CommonJS packages alike),
 * in module generations: each generation gets fresh copies of the project's own files, so that a
 * reload runs the code as saved, while packages (anything under node_modules) are imported once
 * per thread and shared by every generation. A reload then costs the project's files only, not
 * another copy of @langchain/langgraph and @langchain/core (~15 MB of heap and ~0.5 s each).
 *
 * All imports go through one tsx namespace per thread. tsx isolates a namespace's module graph,
 * node_modules included: `tsImport` (a fresh namespace per call) would give every graph its own
 * copy of the libraries next to the server's own.
 */
export interface GraphImporter {
  /** Starts a generation: the project files imported with it are fresh copies. */
  nextGeneration(): number;
  /** Imports a project module as of `generation`. */
  importModule(modulePath: string, generation: number): Promise<unknown>;
  /** Imports a package as the project file `fromPath` would resolve it. */
  importPackage(specifier: string, fromPath: string): Promise<unknown>;
  /**
   * Calls `listener` with the path of every project file imported so far and of each one imported
   * from now on (for the dev watcher). Returns the unsubscriber.
   */
  onProjectFile(listener: (path: string) => void): () => void;
}

const GENERATION_PARAM = "hookgraph-generation";

/**
 * Carries a module's generation to the project files it imports: Node caches modules by URL, so a
 * new query value is a fresh module, and node_modules URLs keep none, so packages are shared. It
 * runs on Node's loader thread, which cannot import this TypeScript file: hence plain JS here.
 */
const GENERATION_HOOK = `
const PARAM = ${JSON.stringify(GENERATION_PARAM)};
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (!parent?.startsWith("file:") || !resolved.url.startsWith("file:") || resolved.url.includes("/node_modules/")) return resolved;
  const generation = new URL(parent).searchParams.get(PARAM);
  if (generation === null) return resolved;
  const url = new URL(resolved.url);
  if (url.searchParams.has(PARAM)) return resolved;
  url.searchParams.set(PARAM, generation);
  return { ...resolved, url: url.href };
}`;

const isPackageFile = (path: string) => path.split(/[\\/]/).includes("node_modules");

/** Whether Node treats the file as CommonJS: by its extension, else by its package's "type". */
function isCommonJs(modulePath: string): boolean {
  const ext = extname(modulePath);
  if (ext === ".cjs" || ext === ".cts") return true;
  if (ext === ".mjs" || ext === ".mts") return false;
  for (let dir = dirname(modulePath); ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: unknown }).type !== "module";
      } catch {
        return true; // Node reads an unreadable package.json as no "type": CommonJS
      }
    }
    if (dirname(dir) === dir) return true;
  }
}

function createGraphImporter(): GraphImporter {
  const namespace = `hookgraph-graphs-${randomUUID()}`;
  const projectFiles = new Set<string>();
  const listeners = new Set<(path: string) => void>();
  const seen = (path: string) => {
    if (isPackageFile(path) || projectFiles.has(path)) return;
    projectFiles.add(path);
    for (const listener of listeners) listener(path);
  };
  // The CommonJS hooks too, as tsImport registers them: a .ts file in a package without
  // "type": "module" is CommonJS, and its `require("./helper")` needs them to resolve.
  const commonJs = registerCommonJs({ namespace });
  const esm = register({
    namespace,
    onImport: (url) => {
      if (url.startsWith("file:")) seen(fileURLToPath(url.split("?")[0]));
    },
  });
  registerHooks(`data:text/javascript,${encodeURIComponent(GENERATION_HOOK)}`);

  // tsx keys the CommonJS modules of a namespace by `<path>?namespace=<namespace>`.
  const cache = createRequire(import.meta.url).cache;
  const suffix = `?namespace=${namespace}`;
  const projectCacheKeys = () => Object.keys(cache).filter((key) => key.endsWith(suffix) && !isPackageFile(key));
  let generation = 0;

  return {
    nextGeneration() {
      // CommonJS has no URL to vary: its project modules leave the cache instead.
      for (const key of projectCacheKeys()) delete cache[key];
      return ++generation;
    },

    async importModule(modulePath, moduleGeneration) {
      // CommonJS modules are required, not imported: tsx imports a CommonJS TypeScript file from
      // ESM as a data: URL without its source map, and a stack trace would then show that URL
      // instead of the user's file and line.
      if (isCommonJs(modulePath)) {
        const exports = commonJs.require(modulePath, modulePath) as unknown;
        for (const key of projectCacheKeys()) seen(key.slice(0, -suffix.length));
        // As an ESM import shows a CommonJS module: its exports as `default`.
        return { default: exports };
      }
      const url = new URL(pathToFileURL(modulePath));
      url.searchParams.set(GENERATION_PARAM, String(moduleGeneration));
      return esm.import(url.href, pathToFileURL(modulePath).href);
    },

    importPackage: (specifier, fromPath) => esm.import(specifier, pathToFileURL(fromPath).href),

    onProjectFile(listener) {
      for (const path of projectFiles) listener(path);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

let threadImporter: GraphImporter | undefined;

/** This thread's importer: hooks are registered once per thread, and packages are shared by all its graphs. */
export function graphImporter(): GraphImporter {
  return (threadImporter ??= createGraphImporter());
}
