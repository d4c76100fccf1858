import { Type } from "typebox";
import { JsonObject, Limit, Nullable, Offset, SortOrder, TtlMinutes, Uuid } from "./common.js";
import type { JsonObject as JsonObjectValue } from "../../storage/types.js";

export const ThreadStatus = Type.Union([Type.Literal("idle"), Type.Literal("busy"), Type.Literal("interrupted"), Type.Literal("error")]);

export const Thread = Type.Object({
  thread_id: Uuid,
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
  metadata: JsonObject,
  config: JsonObject,
  status: ThreadStatus,
  values: Type.Unknown(),
  interrupts: JsonObject,
});

/** Search results: whole threads, or the `select`ed fields of each. */
export const ThreadList = Type.Array(Type.Partial(Thread));

const Ttl = Type.Union([
  TtlMinutes("Minutes until the thread is deleted"),
  Type.Object(
    { ttl: TtlMinutes("Minutes until the thread is deleted"), strategy: Type.Optional(Type.Literal("delete")) },
    { additionalProperties: false },
  ),
]);

const SuperstepUpdate = Type.Object(
  {
    values: Type.Optional(Type.Unknown()),
    command: Type.Optional(Nullable(JsonObject)),
    as_node: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const ThreadCreate = Type.Object(
  {
    thread_id: Type.Optional(Uuid),
    metadata: Type.Optional(JsonObject),
    if_exists: Type.Optional(Type.Union([Type.Literal("raise"), Type.Literal("do_nothing")])),
    ttl: Type.Optional(Ttl),
    supersteps: Type.Optional(Type.Array(Type.Object({ updates: Type.Array(SuperstepUpdate, { minItems: 1 }) }, { additionalProperties: false }))),
  },
  { additionalProperties: false },
);

export const ThreadPatch = Type.Object(
  { metadata: Type.Optional(JsonObject), ttl: Type.Optional(Ttl) },
  { additionalProperties: false },
);

const ThreadField = Type.Union(
  // "context" is in the API's list and "state_updated_at" in the SDK's; threads have neither, so they select nothing.
  ["thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "config", "context", "status", "values", "interrupts"].map((f) =>
    Type.Literal(f),
  ),
);

/** A containment filter; its keys become SQL conditions, so their number is bounded. */
const JsonFilter = Type.Unsafe<JsonObjectValue>(Type.Object({}, { additionalProperties: true, maxProperties: 100 }));

const threadFilters = {
  ids: Type.Optional(Type.Array(Uuid, { maxItems: 1000 })),
  metadata: Type.Optional(JsonFilter),
  values: Type.Optional(JsonFilter),
  status: Type.Optional(ThreadStatus),
};

export const ThreadSearch = Type.Object(
  {
    ...threadFilters,
    limit: Type.Optional(Limit()),
    offset: Type.Optional(Offset),
    sort_by: Type.Optional(
      Type.Union(
        [
          Type.Literal("thread_id"),
          Type.Literal("status"),
          Type.Literal("created_at"),
          Type.Literal("updated_at"),
          Type.Literal("state_updated_at"),
        ],
        { description: "state_updated_at (the SDK's) sorts as updated_at, which every state change moves" },
      ),
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

/** A checkpoint as the API shows it (`ThreadState.checkpoint`): fields may be null, extra ones are kept. */
export const CheckpointConfig = Type.Object(
  {
    thread_id: Type.Optional(Nullable(Type.String())),
    checkpoint_ns: Type.Optional(Nullable(Type.String())),
    checkpoint_id: Type.Optional(Nullable(Type.String())),
    checkpoint_map: Type.Optional(Nullable(JsonObject)),
  },
  { additionalProperties: true },
);

/** `before`: a checkpoint id, a checkpoint, or a RunnableConfig (`{configurable: {checkpoint_id}}`). */
const Before = Type.Union([Type.String({ minLength: 1 }), CheckpointConfig]);

const Select = Type.Array(Type.String({ minLength: 1 }));

export const StateQuery = Type.Object({
  subgraphs: Type.Optional(Type.Boolean()),
  select: Type.Optional(Select),
});

export const StateCheckpointBody = Type.Object(
  {
    checkpoint: CheckpointConfig,
    subgraphs: Type.Optional(Type.Boolean()),
    select: Type.Optional(Select),
  },
  { additionalProperties: false },
);

export const StateUpdate = Type.Object(
  {
    values: Type.Optional(Type.Unknown()),
    checkpoint: Type.Optional(Nullable(CheckpointConfig)),
    checkpoint_id: Type.Optional(Nullable(Type.String())),
    as_node: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
  },
  { additionalProperties: false },
);

export const StatePatch = Type.Object({ metadata: JsonObject }, { additionalProperties: false });

export const HistoryBody = Type.Object(
  {
    limit: Type.Optional(Limit(1000, 10)),
    before: Type.Optional(Nullable(Before)),
    metadata: Type.Optional(Nullable(JsonObject)),
    checkpoint: Type.Optional(Nullable(CheckpointConfig)),
    select: Type.Optional(Select),
  },
  { additionalProperties: false },
);

export const HistoryQuery = Type.Object({
  limit: Type.Optional(Limit(1000, 10)),
  before: Type.Optional(Type.String({ minLength: 1 })),
});

const ThreadStreamMode = Type.Union([Type.Literal("lifecycle"), Type.Literal("run_modes"), Type.Literal("state_update")]);

/** `stream_modes` (the API's name) or `stream_mode` (what the JS SDK sends). */
export const ThreadStreamQuery = Type.Object({
  stream_modes: Type.Optional(Type.Array(ThreadStreamMode)),
  stream_mode: Type.Optional(Type.Array(ThreadStreamMode)),
});

export const CheckpointResponse = Type.Object({ checkpoint: JsonObject });

export const ThreadState = Type.Object(
  {
    values: Type.Unknown(),
    next: Type.Array(Type.String()),
    tasks: Type.Array(JsonObject),
    checkpoint: Nullable(JsonObject),
    metadata: Nullable(JsonObject),
    created_at: Nullable(Type.String()),
    parent_checkpoint: Nullable(JsonObject),
    interrupts: Type.Array(JsonObject),
  },
  { additionalProperties: true },
);
