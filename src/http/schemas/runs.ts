import { Type } from "typebox";
import { JsonObject, Uuid } from "./common.js";

export const StreamMode = Type.Union([
  Type.Literal("values"),
  Type.Literal("messages"),
  Type.Literal("messages-tuple"),
  Type.Literal("tasks"),
  Type.Literal("checkpoints"),
  Type.Literal("updates"),
  Type.Literal("events"),
  Type.Literal("debug"),
  Type.Literal("custom"),
]);

const InterruptNodes = Type.Union([Type.Literal("*"), Type.Array(Type.String())]);

export const Command = Type.Object(
  {
    update: Type.Optional(Type.Union([JsonObject, Type.Array(Type.Unknown()), Type.Null()])),
    resume: Type.Optional(Type.Unknown()),
    goto: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

const runFields = {
  assistant_id: Type.String({ minLength: 1, description: "An assistant id, or a graph id for the graph's default assistant" }),
  input: Type.Optional(Type.Unknown()),
  command: Type.Optional(Type.Union([Command, Type.Null()])),
  metadata: Type.Optional(JsonObject),
  config: Type.Optional(JsonObject),
  context: Type.Optional(JsonObject),
  webhook: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
  interrupt_before: Type.Optional(InterruptNodes),
  interrupt_after: Type.Optional(InterruptNodes),
  stream_mode: Type.Optional(Type.Union([StreamMode, Type.Array(StreamMode)])),
  stream_subgraphs: Type.Optional(Type.Boolean()),
  stream_resumable: Type.Optional(Type.Boolean()),
  on_disconnect: Type.Optional(Type.Union([Type.Literal("cancel"), Type.Literal("continue")])),
  feedback_keys: Type.Optional(Type.Array(Type.String())),
  multitask_strategy: Type.Optional(
    Type.Union([Type.Literal("reject"), Type.Literal("rollback"), Type.Literal("interrupt"), Type.Literal("enqueue")]),
  ),
  after_seconds: Type.Optional(Type.Number({ minimum: 0 })),
  checkpoint: Type.Optional(JsonObject),
  checkpoint_id: Type.Optional(Type.String()),
  checkpoint_during: Type.Optional(Type.Boolean()),
  durability: Type.Optional(Type.Union([Type.Literal("sync"), Type.Literal("async"), Type.Literal("exit")])),
};

export const RunCreateStateful = Type.Object(
  {
    ...runFields,
    if_not_exists: Type.Optional(Type.Union([Type.Literal("create"), Type.Literal("reject")])),
  },
  { additionalProperties: true },
);

export const RunCreateStateless = Type.Object(
  {
    ...runFields,
    on_completion: Type.Optional(Type.Union([Type.Literal("delete"), Type.Literal("keep")])),
  },
  { additionalProperties: true },
);

export const RunStatus = Type.Union([
  Type.Literal("pending"),
  Type.Literal("running"),
  Type.Literal("error"),
  Type.Literal("success"),
  Type.Literal("timeout"),
  Type.Literal("interrupted"),
]);

export const Run = Type.Object({
  run_id: Uuid,
  thread_id: Uuid,
  assistant_id: Uuid,
  created_at: Type.String(),
  updated_at: Type.String(),
  status: RunStatus,
  metadata: JsonObject,
  kwargs: JsonObject,
  multitask_strategy: Type.String(),
});

/** A query flag as the SDKs send it ("1"/"0", "true"/"false"); read with `flag()`. */
const QueryFlag = Type.String({ pattern: "^(?:[01]|[Tt]rue|[Ff]alse|[Yy]es|[Nn]o)$" });

export const CancelQuery = Type.Object({
  wait: Type.Optional(QueryFlag),
  action: Type.Optional(Type.Union([Type.Literal("interrupt"), Type.Literal("rollback")], { default: "interrupt" })),
});

export const RunsCancel = Type.Object(
  {
    thread_id: Type.Optional(Uuid),
    run_ids: Type.Optional(Type.Array(Uuid)),
    status: Type.Optional(Type.Union([Type.Literal("pending"), Type.Literal("running"), Type.Literal("all")])),
  },
  { additionalProperties: false },
);

export const JoinQuery = Type.Object({ cancel_on_disconnect: Type.Optional(QueryFlag) });

export const JoinStreamQuery = Type.Object({
  cancel_on_disconnect: Type.Optional(QueryFlag),
  /** One mode, repeated, or a JSON array string: see `parseStreamModes`. */
  stream_mode: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
});

export const RunField = Type.Union(
  (["run_id", "thread_id", "assistant_id", "created_at", "updated_at", "status", "metadata", "kwargs", "multitask_strategy"] as const).map(
    (name) => Type.Literal(name),
  ),
);
