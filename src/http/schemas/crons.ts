import { Type } from "typebox";
import { JsonObject, Limit, Offset, SortOrder, Uuid } from "./common.js";
import { RunCreateStateful } from "./runs.js";

/** The run fields a cron passes to every firing: the very schemas of a run's body. */
const run = RunCreateStateful.properties;
const runFields = {
  input: run.input,
  config: run.config,
  context: run.context,
  webhook: run.webhook,
  interrupt_before: run.interrupt_before,
  interrupt_after: run.interrupt_after,
  multitask_strategy: run.multitask_strategy,
  stream_mode: run.stream_mode,
  stream_subgraphs: run.stream_subgraphs,
  stream_resumable: run.stream_resumable,
  checkpoint_during: run.checkpoint_during,
  durability: run.durability,
};

const DateTime = Type.String({ format: "date-time" });
const OnRunCompleted = Type.Union([Type.Literal("delete"), Type.Literal("keep")]);

const cronFields = {
  assistant_id: run.assistant_id,
  schedule: Type.String({
    minLength: 1,
    description: "Five fields (minute hour day month weekday), or six with seconds first",
  }),
  timezone: Type.Optional(Type.String({ minLength: 1, description: "IANA timezone the schedule is read in (default UTC)" })),
  end_time: Type.Optional(DateTime),
  enabled: Type.Optional(Type.Boolean()),
  metadata: run.metadata,
  ...runFields,
};

export const ThreadCronCreate = Type.Object(cronFields, { additionalProperties: true });

export const CronCreate = Type.Object(
  { ...cronFields, on_run_completed: Type.Optional(OnRunCompleted) },
  { additionalProperties: true },
);

export const CronPatch = Type.Object(
  {
    ...runFields,
    schedule: Type.Optional(cronFields.schedule),
    timezone: cronFields.timezone,
    end_time: Type.Optional(Type.Union([DateTime, Type.Null()])),
    enabled: cronFields.enabled,
    on_run_completed: Type.Optional(OnRunCompleted),
    metadata: run.metadata,
    webhook: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 65536 }), Type.Null()])),
  },
  { additionalProperties: true },
);

const filterFields = {
  assistant_id: Type.Optional(Type.String({ minLength: 1, description: "An assistant id, or a graph id for the graph's default assistant" })),
  thread_id: Type.Optional(Uuid),
  enabled: Type.Optional(Type.Boolean()),
  metadata: Type.Optional(JsonObject),
};

const SELECTABLE = [
  "cron_id",
  "assistant_id",
  "thread_id",
  "on_run_completed",
  "end_time",
  "schedule",
  "timezone",
  "created_at",
  "updated_at",
  "user_id",
  "payload",
  "next_run_date",
  "metadata",
  "enabled",
  "now",
] as const;
const SORTABLE = ["cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"] as const;

export const CronSearch = Type.Object(
  {
    ...filterFields,
    limit: Type.Optional(Limit()),
    offset: Type.Optional(Offset),
    sort_by: Type.Optional(Type.Enum(SORTABLE)),
    sort_order: Type.Optional(SortOrder),
    select: Type.Optional(Type.Array(Type.Enum(SELECTABLE))),
  },
  { additionalProperties: false },
);

export const CronCount = Type.Object(filterFields, { additionalProperties: false });

export const Cron = Type.Object({
  cron_id: Uuid,
  assistant_id: Uuid,
  thread_id: Type.Union([Uuid, Type.Null()]),
  on_run_completed: Type.Union([OnRunCompleted, Type.Null()]),
  end_time: Type.Union([Type.String(), Type.Null()]),
  schedule: Type.String(),
  timezone: Type.String(),
  created_at: Type.String(),
  updated_at: Type.String(),
  payload: JsonObject,
  user_id: Type.Union([Type.String(), Type.Null()]),
  next_run_date: Type.Union([Type.String(), Type.Null()]),
  metadata: JsonObject,
  enabled: Type.Boolean(),
});

export const CronIdParams = Type.Object({ cron_id: Uuid });
