import { Type } from "typebox";
import { JsonObject, Limit, Offset, SortOrder } from "./common.js";

export const Assistant = Type.Object({
  assistant_id: Type.String(),
  graph_id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  config: JsonObject,
  context: JsonObject,
  metadata: JsonObject,
  version: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
});

export const AssistantCreate = Type.Object(
  {
    assistant_id: Type.Optional(Type.String({ format: "uuid" })),
    graph_id: Type.String({ minLength: 1 }),
    config: Type.Optional(JsonObject),
    context: Type.Optional(JsonObject),
    metadata: Type.Optional(JsonObject),
    if_exists: Type.Optional(Type.Union([Type.Literal("raise"), Type.Literal("do_nothing")])),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

export const AssistantPatch = Type.Object(
  {
    graph_id: Type.Optional(Type.String({ minLength: 1 })),
    config: Type.Optional(JsonObject),
    context: Type.Optional(JsonObject),
    metadata: Type.Optional(JsonObject),
    name: Type.Optional(Type.String()),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

const AssistantField = Type.Union(
  [
    Type.Literal("assistant_id"),
    Type.Literal("graph_id"),
    Type.Literal("name"),
    Type.Literal("description"),
    Type.Literal("config"),
    Type.Literal("context"),
    Type.Literal("created_at"),
    Type.Literal("updated_at"),
    Type.Literal("metadata"),
    Type.Literal("version"),
  ],
);

export const AssistantSearch = Type.Object(
  {
    metadata: Type.Optional(JsonObject),
    graph_id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
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

export const AssistantCount = Type.Object(
  { metadata: Type.Optional(JsonObject), graph_id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const AssistantVersionsSearch = Type.Object(
  { metadata: Type.Optional(JsonObject), limit: Type.Optional(Limit()), offset: Type.Optional(Offset) },
  { additionalProperties: false },
);
