import { Type } from "typebox";
import { JsonObject, Limit, Offset, SortOrder, Uuid } from "./common.js";

export const ThreadStatus = Type.Union([Type.Literal("idle"), Type.Literal("busy"), Type.Literal("interrupted"), Type.Literal("error")]);

export const Thread = Type.Object({
  thread_id: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
  metadata: JsonObject,
  config: JsonObject,
  status: ThreadStatus,
  values: Type.Unknown(),
  interrupts: JsonObject,
});

const Ttl = Type.Union([
  Type.Number({ exclusiveMinimum: 0 }),
  Type.Object(
    { ttl: Type.Number({ exclusiveMinimum: 0 }), strategy: Type.Optional(Type.Literal("delete")) },
    { additionalProperties: false },
  ),
]);

export const ThreadCreate = Type.Object(
  {
    thread_id: Type.Optional(Uuid),
    metadata: Type.Optional(JsonObject),
    if_exists: Type.Optional(Type.Union([Type.Literal("raise"), Type.Literal("do_nothing")])),
    ttl: Type.Optional(Ttl),
    supersteps: Type.Optional(Type.Array(Type.Object({ updates: Type.Array(JsonObject) }))),
  },
  { additionalProperties: false },
);

export const ThreadPatch = Type.Object(
  { metadata: Type.Optional(JsonObject), ttl: Type.Optional(Ttl) },
  { additionalProperties: false },
);

const ThreadField = Type.Union(
  ["thread_id", "created_at", "updated_at", "metadata", "config", "context", "status", "values", "interrupts"].map((f) => Type.Literal(f)),
);

const threadFilters = {
  ids: Type.Optional(Type.Array(Uuid)),
  metadata: Type.Optional(JsonObject),
  values: Type.Optional(JsonObject),
  status: Type.Optional(ThreadStatus),
};

export const ThreadSearch = Type.Object(
  {
    ...threadFilters,
    limit: Type.Optional(Limit()),
    offset: Type.Optional(Offset),
    sort_by: Type.Optional(
      Type.Union([Type.Literal("thread_id"), Type.Literal("status"), Type.Literal("created_at"), Type.Literal("updated_at")]),
    ),
    sort_order: Type.Optional(SortOrder),
    select: Type.Optional(Type.Array(ThreadField)),
    extract: Type.Optional(JsonObject),
  },
  { additionalProperties: false },
);

export const ThreadCount = Type.Object(threadFilters, { additionalProperties: false });

export const ThreadPrune = Type.Object(
  {
    thread_ids: Type.Array(Uuid, { minItems: 1, maxItems: 1000 }),
    strategy: Type.Optional(Type.Union([Type.Literal("delete"), Type.Literal("keep_latest")])),
  },
  { additionalProperties: false },
);

export const CheckpointConfig = Type.Object(
  {
    thread_id: Type.Optional(Type.String()),
    checkpoint_ns: Type.Optional(Type.String()),
    checkpoint_id: Type.Optional(Type.String()),
    checkpoint_map: Type.Optional(JsonObject),
  },
  { additionalProperties: true },
);

export const StateQuery = Type.Object({
  subgraphs: Type.Optional(Type.Boolean()),
  select: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
});

export const StateCheckpointBody = Type.Object(
  {
    checkpoint: CheckpointConfig,
    subgraphs: Type.Optional(Type.Boolean()),
    select: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const StateUpdate = Type.Object(
  {
    values: Type.Optional(Type.Unknown()),
    checkpoint: Type.Optional(CheckpointConfig),
    checkpoint_id: Type.Optional(Type.String()),
    as_node: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const HistoryBody = Type.Object(
  {
    limit: Type.Optional(Limit(1000, 10)),
    before: Type.Optional(Type.Union([Type.String(), CheckpointConfig])),
    metadata: Type.Optional(JsonObject),
    checkpoint: Type.Optional(CheckpointConfig),
    select: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object({
  limit: Type.Optional(Limit(1000, 10)),
  before: Type.Optional(Type.String()),
});
