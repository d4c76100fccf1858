import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { GraphLoadError, GraphNotFoundError, GraphRegistry, graphLibrary, loadGraphSpec } from "../../src/runtime/graph-loader.js";
import { ARTIFACTS_DIR } from "../helpers/browser.js";
import { FIXTURE_GRAPHS, openRuntime, type Runtime } from "./helpers.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt.close());

const spec = (file: string, exportName: string, graphId = "bad") => ({ graphId, modulePath: join(FIXTURE_GRAPHS, file), exportName });

describe("GraphRegistry", () => {
  test("loads every graph named in the fixture langgraph.json", () => {
    expect(rt.registry.ids().sort()).toEqual(
      ["chat", "commonjs", "custom", "echo", "error", "factory", "interrupt", "slow", "store", "subgraph", "two_step", "uncompiled"].sort(),
    );
  });

  test("compiled ESM, uncompiled StateGraph and CommonJS exports all run", async () => {
    const config = (id: string) => ({ configurable: { thread_id: `loader-${id}` } });
    expect(await (await rt.registry.get("two_step")).invoke({}, config("two"))).toEqual({ count: 11, steps: ["first", "second"] });
    expect(await (await rt.registry.get("uncompiled")).invoke({ text: "abc" }, config("un"))).toEqual({ text: "ABC" });
    expect(await (await rt.registry.get("commonjs")).invoke({ n: 21 }, config("cjs"))).toEqual({ n: 42 });
  });

  test("a TypeScript graph inside a CommonJS package, with an extensionless relative import", async () => {
    const modulePath = join(FIXTURE_GRAPHS, "..", "cjs-package", "graph.ts");
    const registry = await GraphRegistry.load([{ graphId: "cjs_ts", modulePath, exportName: "graph" }]);
    expect(await (await registry.get("cjs_ts")).invoke({ word: "hey" })).toEqual({ word: "HEY!" });
  });

  test("a factory is called with the run's config each time", async () => {
    expect(rt.registry.isFactory("factory")).toBe(true);
    const hola = await rt.registry.get("factory", { configurable: { greeting_word: "Hola" } });
    const hi = await rt.registry.get("factory", { configurable: { greeting_word: "Hi" } });
    const run = { configurable: { thread_id: "factory-1" } };
    expect(await hola.invoke({ name: "Ann" }, run)).toMatchObject({ greeting: "Hola, Ann!" });
    expect(await hi.invoke({ name: "Bo" }, { configurable: { thread_id: "factory-2" } })).toMatchObject({ greeting: "Hi, Bo!" });
  });

  test("attaches our checkpointer and store to a copy, never to the module's graph", async () => {
    // White-box: the module's own graph object, as the registry loaded it.
    const graphs = (rt.registry as unknown as { graphs: Map<string, { source: { graph: { checkpointer?: unknown } } }> }).graphs;
    const original = graphs.get("echo")!.source.graph;
    const attached = await rt.registry.get("echo");
    expect(attached).not.toBe(original);
    expect(attached.checkpointer).toBe(rt.checkpointer);
    expect(attached.store).toBe(rt.store);
    expect(original.checkpointer).toBeUndefined();
    expect(await rt.registry.get("echo")).toBe(attached); // static graphs: one shared copy
    const ephemeral = await rt.registry.get("echo", {}, { checkpointer: false });
    expect(ephemeral.checkpointer).toBeUndefined();
    const other = new MemorySaver();
    expect((await rt.registry.get("echo", {}, { checkpointer: other })).checkpointer).toBe(other);
    expect(attached.checkpointer).toBe(rt.checkpointer);
  });

  test("unknown graph ids raise GraphNotFoundError", async () => {
    await expect(rt.registry.get("nope")).rejects.toBeInstanceOf(GraphNotFoundError);
    expect(() => rt.registry.spec("nope")).toThrow(/nope/);
  });
});

describe("load errors name the graph and the file", () => {
  test("missing export lists what the module exports", async () => {
    const error = await loadGraphSpec(spec("echo.ts", "grahp", "typo")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphLoadError);
    expect((error as Error).message).toMatch(/"typo"/);
    expect((error as Error).message).toContain(join(FIXTURE_GRAPHS, "echo.ts"));
    expect((error as Error).message).toMatch(/no export "grahp" \(exports: graph\)/);
  });

  test("an export that is not a graph", async () => {
    await expect(loadGraphSpec(spec("not-a-graph.ts", "settings"))).rejects.toThrow(/graph "bad" \(export "settings" of .*not-a-graph\.ts\) is not a graph.*got an object/);
  });

  test("a factory that returns something else fails when used, naming the graph", async () => {
    const registry = await GraphRegistry.load([spec("not-a-graph.ts", "broken", "broken")]);
    await expect(registry.get("broken")).rejects.toThrow(/factory of graph "broken".*is not a graph.*got a string/);
  });

  test("a missing file", async () => {
    await expect(loadGraphSpec(spec("missing.ts", "graph", "ghost"))).rejects.toThrow(/graph "ghost": file .*missing\.ts does not exist/);
  });

  test("a module that throws on import", async () => {
    await expect(loadGraphSpec(spec("throws-on-import.ts", "graph", "boom"))).rejects.toThrow(/graph "boom": importing .*throws-on-import\.ts failed: import-time failure/);
  });
});

describe("reload: a new generation of the project's files", () => {
  // Under test-artifacts/ so that the graphs resolve @langchain/langgraph from the repository.
  function project(type: "module" | "commonjs"): string {
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const dir = mkdtempSync(join(ARTIFACTS_DIR, `loader-${type}-`));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type }));
    const helper = type === "module" ? "./word.js" : "./word";
    writeFileSync(
      join(dir, "graph.ts"),
      `import { Annotation, StateGraph } from "@langchain/langgraph";\nimport { word } from "${helper}";\n` +
        `const State = Annotation.Root({ word: Annotation<string> });\n` +
        `export const graph = new StateGraph(State).addNode("say", () => ({ word: word() })).addEdge("__start__", "say").compile();\n`,
    );
    return dir;
  }
  const writeWord = (dir: string, word: string) => writeFileSync(join(dir, "word.ts"), `export const word = () => ${JSON.stringify(word)};\n`);

  test.each(["module", "commonjs"] as const)("%s package: imported files load afresh, packages once, held graphs keep their code", async (type) => {
    const dir = project(type);
    try {
      writeWord(dir, "first");
      const specs = [{ graphId: "say", modulePath: join(dir, "graph.ts"), exportName: "graph" }];
      const registry = await GraphRegistry.load(specs);
      const held = await registry.get("say");
      expect(await held.invoke({})).toEqual({ word: "first" });

      writeWord(dir, "second");
      await registry.reload(specs);
      const reloaded = await registry.get("say");
      expect(await reloaded.invoke({})).toEqual({ word: "second" });
      expect(await held.invoke({})).toEqual({ word: "first" });
      // One copy of LangGraph for every generation.
      expect(graphLibrary(reloaded).Command).toBe(graphLibrary(held).Command);

      writeFileSync(join(dir, "word.ts"), "export const word = () => ;\n");
      await expect(registry.reload(specs)).rejects.toThrow(/graph "say": importing .*graph\.ts failed/);
      expect(await (await registry.get("say")).invoke({})).toEqual({ word: "second" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
