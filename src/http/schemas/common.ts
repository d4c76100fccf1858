import { Type, type Static, type TSchema, type TUnsafe } from "typebox";

import type { JsonObject as JsonObjectValue } from "../../storage/types.js";

/** Any JSON object (metadata, config, context, values filters). */
export const JsonObject = Type.Unsafe<JsonObjectValue>(Type.Object({}, { additionalProperties: true }));

export const Uuid = Type.String({ format: "uuid" });

export const Limit = (max = 1000, def = 10) => Type.Integer({ minimum: 1, maximum: max, default: def });
/** Beyond 2^53 an offset is no longer an exact integer (and SQLite rejects it). */
export const Offset = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 });

/** A TTL in minutes: positive, and at most about a thousand years so the expiry is a valid date. */
export const TtlMinutes = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 525_600_000, description });

/** A RunnableConfig: the fields LangGraph reads are typed, anything else is kept as given. */
export const RunnableConfig = Type.Unsafe<JsonObjectValue>(
  Type.Object(
    {
      tags: Type.Optional(Type.Array(Type.String())),
      recursion_limit: Type.Optional(Type.Integer({ minimum: 1 })),
      configurable: Type.Optional(JsonObject),
    },
    { additionalProperties: true },
  ),
);
export const SortOrder = Type.Union([Type.Literal("asc"), Type.Literal("desc")]);

/**
 * `schema` or null. A typed schema gets OpenAPI's `nullable: true` rather than `anyOf [T, null]`:
 * with type coercion on, the `null` branch of an anyOf would turn a rejected `0` or `false` into
 * null (a `ttl: 0` would silently mean "never expires").
 */
export function Nullable<T extends TSchema>(schema: T): TUnsafe<Static<T> | null> {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === "string" && type !== "null") return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
  return Type.Unsafe<Static<T> | null>(Type.Union([schema, Type.Null()]));
}

export const ErrorResponse = Type.Object({ detail: Type.String() }, { description: "An error: what went wrong, naming the field or id" });

/** The `{detail}` error responses a route documents, by status code. */
export function errorResponses(...codes: (404 | 409 | 422)[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(codes.map((code) => [code, ErrorResponse]));
}

/** A 204 answer: done, nothing to say. */
export const NoContent = Type.Null({ description: "Done; no body" });

export const ThreadIdParams = Type.Object({ thread_id: Uuid });
export const RunIdParams = Type.Object({ thread_id: Uuid, run_id: Uuid });
