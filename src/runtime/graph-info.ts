import type { RunnableConfig } from "@langchain/core/runnables";
import {
  getConfigTypeSchema,
  getInputTypeSchema,
  getOutputTypeSchema,
  getStateTypeSchema,
} from "@langchain/langgraph/zod/schema";
import type { RuntimeGraph } from "./graph-loader.js";
import { toJsonObject } from "./serialize.js";
import type { JsonObject } from "./types.js";

/** `GraphSchemaNoId`: what `/assistants/{id}/schemas` returns besides `graph_id`. */
export interface GraphSchemasJson {
  input_schema?: JsonObject;
  output_schema?: JsonObject;
  state_schema: JsonObject;
  config_schema?: JsonObject;
  context_schema?: JsonObject;
}

interface StateGraphBuilder {
  _schemaDefinition?: Record<string, unknown>;
  _inputDefinition?: Record<string, unknown>;
  _outputDefinition?: Record<string, unknown>;
}

/** `GET /assistants/{id}/graph?xray=`: the drawable graph's `toJSON()` (nodes and edges). */
export async function getGraphDrawing(graph: RuntimeGraph, options: { xray?: boolean | number; config?: RunnableConfig } = {}): Promise<JsonObject> {
  const drawable = await graph.getGraphAsync({ ...options.config, ...(options.xray !== undefined ? { xray: options.xray } : {}) });
  return toJsonObject(drawable.toJSON());
}

/** A schema listing the channels by name, for states declared without Zod/StateSchema (Annotation). */
function channelSchema(definition: Record<string, unknown> | undefined, title: string): JsonObject | undefined {
  if (!definition) return undefined;
  const properties: JsonObject = {};
  for (const name of Object.keys(definition)) if (!name.startsWith("__")) properties[name] = {};
  return { title, type: "object", properties };
}

function schemaOf(read: (graph: unknown) => unknown, graph: RuntimeGraph): JsonObject | undefined {
  try {
    const schema = read(graph);
    return schema && typeof schema === "object" ? toJsonObject(schema) : undefined;
  } catch {
    // A schema the library cannot convert is reported as missing, as the API allows.
    return undefined;
  }
}

/**
 * Best-effort JSON Schemas of a graph: from Zod / StateSchema state definitions when the graph has
 * them, else the channel names (Annotation states carry no value types at runtime).
 */
export function getGraphSchemas(graph: RuntimeGraph): GraphSchemasJson {
  const builder = (graph as unknown as { builder?: StateGraphBuilder }).builder;
  const state = schemaOf(getStateTypeSchema, graph) ?? channelSchema(builder?._schemaDefinition, "State") ?? channelSchema(channelsOf(graph), "State");
  const input = schemaOf(getInputTypeSchema, graph) ?? channelSchema(builder?._inputDefinition, "Input");
  const output = schemaOf(getOutputTypeSchema, graph) ?? channelSchema(builder?._outputDefinition, "Output");
  const config = schemaOf(getConfigTypeSchema, graph);
  const result: GraphSchemasJson = { state_schema: state ?? { title: "State", type: "object", properties: {} } };
  if (input) result.input_schema = input;
  if (output) result.output_schema = output;
  // LangGraph.js has one runtime schema for both (`context`); the official JS server reports it twice.
  if (config) {
    result.config_schema = config;
    result.context_schema = config;
  }
  return result;
}

function channelsOf(graph: RuntimeGraph): Record<string, unknown> | undefined {
  const channels = (graph as unknown as { channels?: Record<string, unknown> }).channels;
  if (!channels) return undefined;
  // Pregel's own bookkeeping channels ("branch:to:x", "__start__") are not state.
  return Object.fromEntries(Object.entries(channels).filter(([name]) => !name.includes(":")));
}

/** `GET /assistants/{id}/subgraphs[/{namespace}]?recurse=`: namespace → schemas. */
export async function getSubgraphSchemas(
  graph: RuntimeGraph,
  options: { namespace?: string; recurse?: boolean } = {},
): Promise<Record<string, GraphSchemasJson>> {
  const result: Record<string, GraphSchemasJson> = {};
  for await (const [namespace, subgraph] of graph.getSubgraphsAsync(options.namespace, options.recurse ?? false)) {
    result[namespace] = getGraphSchemas(subgraph as RuntimeGraph);
  }
  return result;
}
