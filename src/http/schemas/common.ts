import { Type } from "typebox";

import type { JsonObject as JsonObjectValue } from "../../storage/types.js";

/** Any JSON object (metadata, config, context, values filters). */
export const JsonObject = Type.Unsafe<JsonObjectValue>(Type.Object({}, { additionalProperties: true }));

export const Uuid = Type.String({ format: "uuid" });

export const Limit = (max = 1000, def = 10) => Type.Integer({ minimum: 1, maximum: max, default: def });
export const Offset = Type.Integer({ minimum: 0, default: 0 });
export const SortOrder = Type.Union([Type.Literal("asc"), Type.Literal("desc")]);

export const ErrorResponse = Type.Object({ detail: Type.String() });

export const ThreadIdParams = Type.Object({ thread_id: Uuid });
export const RunIdParams = Type.Object({ thread_id: Uuid, run_id: Uuid });
