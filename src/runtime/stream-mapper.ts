import type { RunnableConfig } from "@langchain/core/runnables";
import type { CheckpointMetadata } from "@langchain/langgraph-checkpoint";
import type { StreamMode } from "@langchain/langgraph";
import { runCheckpointMetadata } from "./checkpoint-metadata.js";
import { isMessageLike, serializeMessage, toJson, type MessageLike } from "./serialize.js";
import type { CheckpointRef, EmitFn, JsonObject } from "./types.js";

/** Library stream modes the API modes need (`events` comes from streamEvents, not a mode). */
export function libraryStreamModes(apiModes: Set<string>): StreamMode[] {
  const modes = new Set<StreamMode>();
  for (const mode of apiModes) {
    if (mode === "messages" || mode === "messages-tuple") modes.add("messages");
    else if (["values", "updates", "debug", "custom", "tasks", "checkpoints"].includes(mode)) modes.add(mode as StreamMode);
  }
  return [...modes];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `{thread_id, checkpoint_ns, checkpoint_id, checkpoint_map}` from a RunnableConfig, or null. */
export function configToCheckpoint(config: unknown, options: { requireId?: boolean } = {}): CheckpointRef | null {
  if (!isRecord(config) || !isRecord(config.configurable)) return null;
  const c = config.configurable;
  if (typeof c.thread_id !== "string") return null;
  const checkpointId = typeof c.checkpoint_id === "string" && c.checkpoint_id !== "" ? c.checkpoint_id : null;
  if (options.requireId !== false && checkpointId === null) return null;
  return {
    thread_id: c.thread_id,
    checkpoint_ns: typeof c.checkpoint_ns === "string" ? c.checkpoint_ns : "",
    checkpoint_id: checkpointId,
    checkpoint_map: isRecord(c.checkpoint_map) ? (c.checkpoint_map as Record<string, string>) : null,
  };
}

/** A config as the API shows it: no internal (`__`) configurable keys, no callbacks. */
function publicConfig(config: unknown): unknown {
  if (!isRecord(config)) return config ?? null;
  const { callbacks: _callbacks, signal: _signal, store: _store, writer: _writer, ...rest } = config;
  if (!isRecord(rest.configurable)) return rest;
  const configurable = Object.fromEntries(Object.entries(rest.configurable).filter(([key]) => !key.startsWith("__")));
  return { ...rest, configurable };
}

function isEmptyInterrupt(payload: unknown): boolean {
  return isRecord(payload) && Object.keys(payload).length === 1 && Array.isArray(payload.__interrupt__) && payload.__interrupt__.length === 0;
}

/** A lightweight `{id, parent_id?, step, source}` envelope the library pushes before values chunks. */
function isCheckpointEnvelope(payload: unknown): boolean {
  return isRecord(payload) && typeof payload.id === "string" && !("values" in payload) && !("config" in payload);
}

/**
 * Maps library stream chunks to the official server's SSE events (name + JSON data). One instance
 * per run: legacy `messages` mode accumulates chunks per message id.
 */
export class StreamMapper {
  private readonly partials = new Map<string, MessageLike>();

  constructor(
    private readonly apiModes: Set<string>,
    private readonly subgraphs: boolean,
    private readonly runConfig: RunnableConfig,
    private readonly emit: EmitFn,
  ) {}

  /** One `[namespace, mode, payload]` chunk of `graph.stream(..., {subgraphs: true})`. */
  chunk(namespace: string[], mode: string, payload: unknown): void {
    const suffix = this.subgraphs && namespace.length > 0 ? `|${namespace.join("|")}` : "";
    switch (mode) {
      case "messages":
        this.messages(payload, suffix);
        return;
      case "checkpoints":
        if (!this.apiModes.has("checkpoints") || isCheckpointEnvelope(payload)) return;
        this.emit(`checkpoints${suffix}`, this.checkpointPayload(payload));
        return;
      case "debug":
        if (this.apiModes.has("debug")) this.emit(`debug${suffix}`, this.debugPayload(payload));
        return;
      case "values":
        // interrupt_before/after pause with no interrupt value: the Python server sends no values chunk for it.
        if (!this.apiModes.has("values") || isEmptyInterrupt(payload)) return;
        this.emit(`values${suffix}`, toJson(payload));
        return;
      default:
        if (this.apiModes.has(mode)) this.emit(`${mode}${suffix}`, toJson(payload));
    }
  }

  /** One astream_events v2 event (`events` mode). */
  event(event: Record<string, unknown>): void {
    this.emit("events", toJson(event, { keepChunkTypes: true }));
  }

  private messages(payload: unknown, suffix: string): void {
    if (!Array.isArray(payload) || !isMessageLike(payload[0])) return;
    const [message, metadata] = payload as [MessageLike, unknown];
    if (this.apiModes.has("messages-tuple")) {
      this.emit(`messages${suffix}`, [serializeMessage(message, { keepChunkTypes: true }), toJson(metadata)]);
    }
    if (this.apiModes.has("messages")) this.legacyMessages(message, metadata);
  }

  /** `messages/metadata` once per message id, then `messages/partial` (accumulated) or `/complete`. */
  private legacyMessages(message: MessageLike, metadata: unknown): void {
    const id = typeof message.id === "string" ? message.id : undefined;
    if (!id) return;
    const isChunk = typeof message.concat === "function";
    const previous = this.partials.get(id);
    if (!previous) {
      this.emit("messages/metadata", { [id]: { metadata: toJson(metadata) } });
      this.partials.set(id, message);
    } else if (isChunk && typeof previous.concat === "function") {
      this.partials.set(id, (previous.concat as (other: MessageLike) => MessageLike)(message));
    } else {
      this.partials.set(id, message);
    }
    this.emit(isChunk ? "messages/partial" : "messages/complete", [serializeMessage(this.partials.get(id)!)]);
  }

  /** Debug/checkpoints payload in the official shape: snake_case, `checkpoint`/`parent_checkpoint` refs. */
  private checkpointPayload(payload: unknown): unknown {
    if (!isRecord(payload)) return toJson(payload);
    const { parentConfig, parent_config, ...rest } = payload;
    const parent = parent_config ?? parentConfig ?? null;
    const tasks = Array.isArray(rest.tasks) ? rest.tasks.map((task) => this.taskPayload(task)) : [];
    const metadata = isRecord(rest.metadata)
      ? runCheckpointMetadata(this.runConfig, rest.metadata as unknown as CheckpointMetadata)
      : rest.metadata;
    return toJson({
      ...rest,
      config: publicConfig(rest.config),
      parent_config: publicConfig(parent),
      metadata,
      tasks,
      checkpoint: configToCheckpoint(rest.config),
      parent_checkpoint: configToCheckpoint(parent),
    });
  }

  private taskPayload(task: unknown): unknown {
    if (!isRecord(task) || !isRecord(task.state)) return task;
    const { state, ...rest } = task;
    const checkpoint = configToCheckpoint(state, { requireId: false });
    return checkpoint ? { ...rest, checkpoint } : task;
  }

  private debugPayload(payload: unknown): unknown {
    if (!isRecord(payload)) return toJson(payload);
    const { payload: inner, ...rest } = payload;
    const mapped = payload.type === "checkpoint" ? this.checkpointPayload(inner) : toJson(this.taskPayload(inner));
    return { ...(toJson(rest) as JsonObject), payload: mapped };
  }
}
