import type { Json, JsonObject } from "./types.js";

/**
 * Converts LangChain/LangGraph objects into the plain JSON the official Python server emits
 * (pydantic `model_dump()` shapes), never LangChain's `{lc: 1, type: "constructor"}` form.
 * Used for values, state, stream events and webhook payloads.
 */

/** What a LangChain message looks like, duck-typed so a user package's own copy of core fits. */
export interface MessageLike {
  _getType(): string;
  toDict?: () => { type: string; data: object };
  id?: string;
  concat?: unknown;
}

export interface SerializeOptions {
  /**
   * Keep chunk class names (`"AIMessageChunk"`) as message `type`, as Python's `model_dump()` does
   * for chunks. Only the `messages-tuple` stream wants this; state and values show `"ai"`.
   */
  keepChunkTypes?: boolean;
}

const CHUNK_TYPE_NAMES: Record<string, string> = {
  ai: "AIMessageChunk",
  human: "HumanMessageChunk",
  system: "SystemMessageChunk",
  tool: "ToolMessageChunk",
  function: "FunctionMessageChunk",
  generic: "ChatMessageChunk",
  chat: "ChatMessageChunk",
};

export function isMessageLike(value: unknown): value is MessageLike {
  return typeof value === "object" && value !== null && typeof (value as MessageLike)._getType === "function";
}

function isMessageChunk(message: MessageLike): boolean {
  // Chunks are the message classes that can be concatenated; duck-typed so a user package's own copy
  // of @langchain/core is recognised too.
  return typeof message.concat === "function";
}

function messageFields(message: MessageLike): Record<string, unknown> {
  if (typeof message.toDict === "function") return { ...message.toDict().data } as Record<string, unknown>;
  const record = message as unknown as Record<string, unknown>;
  const fields: Record<string, unknown> = {};
  for (const key of ["content", "id", "name", "additional_kwargs", "response_metadata", "tool_calls", "tool_call_id"]) {
    if (record[key] !== undefined) fields[key] = record[key];
  }
  return fields;
}

function withType<T extends Record<string, unknown>>(items: unknown, type: string): T[] {
  if (!Array.isArray(items)) return [];
  return items.map((item) => ({ ...(item as T), type: (item as { type?: string }).type ?? type }));
}

/** One message in the Python `model_dump()` shape, with every field Python shows (nulls included). */
export function serializeMessage(message: MessageLike, options: SerializeOptions = {}): JsonObject {
  const fields = messageFields(message);
  const baseType = message._getType() === "generic" ? "chat" : message._getType();
  const chunk = isMessageChunk(message);
  const type = chunk && options.keepChunkTypes ? (CHUNK_TYPE_NAMES[baseType] ?? baseType) : baseType;
  const out: Record<string, unknown> = {
    content: fields.content ?? "",
    additional_kwargs: fields.additional_kwargs ?? {},
    response_metadata: fields.response_metadata ?? {},
    type,
    name: fields.name ?? null,
    id: fields.id ?? message.id ?? null,
  };
  switch (baseType) {
    case "human":
      out.example = fields.example ?? false;
      break;
    case "ai":
      out.example = fields.example ?? false;
      out.tool_calls = withType(fields.tool_calls, "tool_call");
      out.invalid_tool_calls = withType(fields.invalid_tool_calls, "invalid_tool_call");
      out.usage_metadata = fields.usage_metadata ?? null;
      if (chunk && options.keepChunkTypes) out.tool_call_chunks = withType(fields.tool_call_chunks, "tool_call_chunk");
      break;
    case "tool":
      out.tool_call_id = fields.tool_call_id ?? null;
      out.artifact = fields.artifact ?? null;
      out.status = fields.status ?? "success";
      break;
    case "chat":
      out.role = fields.role ?? null;
      break;
    default:
      break;
  }
  // Fields a subclass adds beyond the standard ones (e.g. provider-specific) are kept.
  for (const [key, value] of Object.entries(fields)) {
    if (!(key in out) && key !== "lc_kwargs" && key !== "tool_call_chunks") out[key] = value;
  }
  return toJson(out, options) as JsonObject;
}

function isLcConstructor(value: unknown): value is { kwargs: unknown } {
  if (typeof value !== "object" || value === null) return false;
  const record = value as { lc?: unknown; type?: unknown };
  return record.lc === 1 && record.type === "constructor";
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isCommandLike(value: object): value is { lg_name: "Command"; graph?: unknown; update?: unknown; resume?: unknown; goto?: unknown } {
  return (value as { lg_name?: unknown }).lg_name === "Command";
}

function isSendLike(value: object): value is { lg_name: "Send"; node: string; args: unknown } {
  return (value as { lg_name?: unknown }).lg_name === "Send";
}

function isDocumentLike(value: object): value is { pageContent: string; metadata?: unknown; id?: string } {
  return typeof (value as { pageContent?: unknown }).pageContent === "string" && "metadata" in value;
}

/**
 * Deep conversion of any value to JSON-safe data: messages, Command, Send, Interrupts, Dates, Maps,
 * Sets, typed arrays, errors, class instances. `undefined`, functions and symbols are dropped as
 * `JSON.stringify` would; cycles become null.
 */
export function toJson(value: unknown, options: SerializeOptions = {}, seen: WeakSet<object> = new WeakSet()): Json {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : null;
    case "bigint":
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case "function":
    case "symbol":
      return null;
    default:
      break;
  }
  const obj = value as object;
  if (seen.has(obj)) return null;
  seen.add(obj);
  try {
    return convertObject(obj, options, seen);
  } finally {
    seen.delete(obj);
  }
}

function convertObject(obj: object, options: SerializeOptions, seen: WeakSet<object>): Json {
  if (Array.isArray(obj)) return obj.map((item) => (item === undefined ? null : toJson(item, options, seen)));
  if (isMessageLike(obj)) return serializeMessage(obj, options);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Map) return toJson(Object.fromEntries(obj), options, seen);
  if (obj instanceof Set) return toJson([...obj], options, seen);
  if (ArrayBuffer.isView(obj)) return Buffer.from(obj.buffer, obj.byteOffset, obj.byteLength).toString("base64");
  if (obj instanceof ArrayBuffer) return Buffer.from(obj).toString("base64");
  if (obj instanceof Error) return { error: obj.name, message: obj.message };
  if (isCommandLike(obj)) {
    return {
      graph: toJson(obj.graph, options, seen),
      update: toJson(obj.update, options, seen),
      resume: toJson(obj.resume, options, seen),
      goto: obj.goto === undefined ? [] : toJson(obj.goto, options, seen),
    };
  }
  if (isSendLike(obj)) return { node: obj.node, arg: toJson(obj.args, options, seen) };
  if (isDocumentLike(obj)) {
    return { id: obj.id ?? null, metadata: toJson(obj.metadata ?? {}, options, seen), page_content: obj.pageContent, type: "Document" };
  }
  if (!isPlainObject(obj) && typeof (obj as { toJSON?: unknown }).toJSON === "function") {
    const json = (obj as { toJSON(): unknown }).toJSON();
    // LangChain Serializables answer `{lc: 1, type: "constructor", kwargs}`: keep only the fields.
    if (isLcConstructor(json)) return toJson(json.kwargs, options, seen);
    if (json !== obj) return toJson(json, options, seen);
  }
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(obj)) {
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    out[key] = toJson(item, options, seen);
  }
  return out;
}

/** `toJson` for callers that know they hold an object (state values, metadata). */
export function toJsonObject(value: unknown, options: SerializeOptions = {}): JsonObject {
  const json = toJson(value, options);
  return json !== null && typeof json === "object" && !Array.isArray(json) ? json : {};
}
