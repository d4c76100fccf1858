import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { join } from "node:path";
import { getGraphDrawing, getGraphSchemas, getSubgraphSchemas } from "../../src/runtime/graph-info.js";
import { GraphRegistry } from "../../src/runtime/graph-loader.js";
import { FIXTURE_GRAPHS, openRuntime, type Runtime } from "./helpers.js";

let rt: Runtime;
beforeAll(async () => {
  rt = await openRuntime();
});
afterAll(() => rt.close());

describe("getGraphDrawing", () => {
  test("nodes and edges of the graph", async () => {
    const drawing = (await getGraphDrawing(await rt.registry.get("two_step"))) as { nodes: Array<{ id: string; type: string }>; edges: Array<{ source: string; target: string }> };
    expect(drawing.nodes.map((n) => n.id)).toEqual(["__start__", "first", "second", "__end__"]);
    expect(drawing.nodes.find((n) => n.id === "first")).toMatchObject({ type: "runnable", data: { name: "first" } });
    expect(drawing.edges.map((e) => `${e.source}>${e.target}`).sort()).toEqual(["__start__>first", "first>second", "second>__end__"]);
  });

  test("xray expands subgraphs", async () => {
    const graph = await rt.registry.get("subgraph");
    const ids = async (xray?: boolean) => ((await getGraphDrawing(graph, { xray })) as { nodes: Array<{ id: string }> }).nodes.map((n) => n.id);
    expect(await ids()).toContain("child");
    expect(await ids(true)).toEqual(expect.arrayContaining(["child:inner_a", "child:inner_b"]));
    expect(await ids(true)).not.toContain("child");
  });
});

describe("getGraphSchemas", () => {
  test("Annotation states list their channels", async () => {
    const schemas = getGraphSchemas(await rt.registry.get("two_step"));
    expect(Object.keys(schemas.state_schema.properties as object).sort()).toEqual(["count", "steps"]);
    expect(schemas.state_schema.type).toBe("object");
    expect(Object.keys(schemas.input_schema!.properties as object).sort()).toEqual(["count", "steps"]);
    expect(Object.keys(schemas.output_schema!.properties as object).sort()).toEqual(["count", "steps"]);
  });

  test("Zod states give typed JSON Schemas; the context schema is the config schema too", async () => {
    const registry = await GraphRegistry.load([{ graphId: "zod", modulePath: join(FIXTURE_GRAPHS, "zod-state.ts"), exportName: "graph" }]);
    const schemas = getGraphSchemas(await registry.get("zod"));
    expect(schemas.state_schema).toMatchObject({
      type: "object",
      properties: { topic: { type: "string" }, score: { type: "number" } },
      required: ["topic"],
    });
    expect(schemas.input_schema).toMatchObject({ properties: { topic: { type: "string" } } });
    expect(schemas.input_schema).not.toHaveProperty("required");
    expect(schemas.config_schema).toMatchObject({ properties: { model: { type: "string" } } });
    expect(schemas.context_schema).toEqual(schemas.config_schema);
  });

  test("every fixture graph has a state schema", async () => {
    for (const id of rt.registry.ids()) {
      const schemas = getGraphSchemas(await rt.registry.get(id, { configurable: {} }));
      expect(schemas.state_schema.type, id).toBe("object");
      expect(Object.keys(schemas.state_schema.properties as object).length, id).toBeGreaterThan(0);
    }
  });
});

describe("getSubgraphSchemas", () => {
  test("namespace to schemas", async () => {
    const graph = await rt.registry.get("subgraph");
    const subgraphs = await getSubgraphSchemas(graph);
    expect(Object.keys(subgraphs)).toEqual(["child"]);
    expect(Object.keys(subgraphs.child.state_schema.properties as object)).toEqual(["trail"]);
    expect(await getSubgraphSchemas(graph, { namespace: "nope" })).toEqual({});
    expect(await getSubgraphSchemas(await rt.registry.get("echo"))).toEqual({});
  });
});
