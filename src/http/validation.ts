import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifySchema, FastifySchemaCompiler } from "fastify";

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const COMMON: Options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false };

function makeAjv(coerce: boolean): Ajv {
  return addFormats(new Ajv({ ...COMMON, coerceTypes: coerce ? "array" : false }));
}

/**
 * Query strings and path parameters are text, so their schemas coerce ("10" → 10, "1" → true);
 * JSON bodies are already typed and are validated strictly: `assistant_id: 123` is a 422, not "123".
 */
export function validatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const strict = makeAjv(false);
  const coercing = makeAjv(true);
  return ({ schema, httpPart }) => (httpPart === "body" ? strict : coercing).compile(schema as object);
}
