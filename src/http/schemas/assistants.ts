import { Type } from "typebox";
import { JsonObject, Limit, Nullable, Offset, RunnableConfig, SortOrder } from "./common.js";
import type { JsonObject as JsonObjectValue } from "../../storage/types.js";

export const Assistant = Type.Object({
  assistant_id: Type.String({ format: "uuid" }),
  graph_id: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  config: JsonObject,
  context: JsonObject,
  metadata: JsonObject,
  version: Type.Integer(),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
});

/** Search results: whole assistants, or the `select`ed fields of each. */
export const AssistantList = Type.Array(Type.Partial(Assistant));

export const AssistantVersionList = Type.Array(Type.Omit(Assistant, ["updated_at"]));

export const AssistantCreate = Type.Object(
  {
    assistant_id: Type.Optional(Type.String({ format: "uuid" })),
    graph_id: Type.String({ minLength: 1 }),
    config: Type.Optional(RunnableConfig),
    context: Type.Optional(JsonObject),
    metadata: Type.Optional(JsonObject),
    if_exists: Type.Optional(Type.Union([Type.Literal("raise"), Type.Literal("do_nothing")])),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
);

export const AssistantPatch = Type.Object(
  {
    graph_id: Type.Optional(Type.String({ minLength: 1 })),
    config: Type.Optional(RunnableConfig),
    context: Type.Optional(JsonObject),
    metadata: Type.Optional(JsonObject),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false },
);

const AssistantField = Type.Union(
  ["assistant_id", "graph_id", "name", "description", "config", "context", "created_at", "updated_at", "metadata", "version"].map((field) =>
    Type.Literal(field),
  ),
);

const assistantFilters = {
  metadata: Type.Optional(JsonObject),
  graph_id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String({ description: "Case-insensitive substring of the name" })),
};

export const AssistantSearch = Type.Object(
  {
    ...assistantFilters,
    limit: Type.Optional(Limit()),
    offset: Type.Optional(Offset),
    sort_by: Type.Optional(
      Type.Union([
        Type.Literal("assistant_id"),
        Type.Literal("created_at"),
        Type.Literal("updated_at"),
        Type.Literal("name"),
        Type.Literal("graph_id"),
      ]),
    ),
    sort_order: Type.Optional(SortOrder),
    select: Type.Optional(Type.Array(AssistantField)),
  },
  { additionalProperties: false },
);

export const AssistantCount = Type.Object(assistantFilters, { additionalProperties: false });

export const AssistantVersionsSearch = Type.Object(
  { metadata: Type.Optional(JsonObject), limit: Type.Optional(Limit()), offset: Type.Optional(Offset) },
  { additionalProperties: false },
);

export const SetLatest = Type.Object({ version: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

export const AssistantDeleteQuery = Type.Object({
  delete_threads: Type.Optional(Type.Boolean({ description: "Also delete the threads whose metadata.assistant_id is this assistant" })),
});

export const XrayQuery = Type.Object({
  xray: Type.Optional(Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 })], { description: "Draw subgraphs too, to this depth when a number" })),
});

export const SubgraphsQuery = Type.Object({ recurse: Type.Optional(Type.Boolean()) });

// Graph information comes from the runtime as plain JSON: these schemas document it (and fix the
// field order of responses) without re-typing what the runtime returns.

/** `{nodes, edges}` of the graph's drawing. */
export const GraphDrawing = Type.Unsafe<JsonObjectValue>(
  Type.Object({ nodes: Type.Array(JsonObject), edges: Type.Array(JsonObject) }, { additionalProperties: true }),
);

const GraphSchemasObject = Type.Object(
  {
    graph_id: Type.String(),
    input_schema: Type.Optional(JsonObject),
    output_schema: Type.Optional(JsonObject),
    state_schema: JsonObject,
    config_schema: Type.Optional(JsonObject),
    context_schema: Type.Optional(JsonObject),
  },
  { additionalProperties: true },
);

export const GraphSchemas = Type.Unsafe<JsonObjectValue>(GraphSchemasObject);

/** Namespace → the subgraph's schemas. */
export const Subgraphs = Type.Unsafe<JsonObjectValue>(Type.Record(Type.String(), Type.Omit(GraphSchemasObject, ["graph_id"])));
