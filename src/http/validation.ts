import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from "fastify";

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

/** Path parameters and query values holding a NUL character: never an id or a flag, and text PostgreSQL cannot hold. */
function nulField(part: "path" | "query", values: unknown): string | undefined {
  if (typeof values !== "object" || values === null) return undefined;
  for (const [name, value] of Object.entries(values)) {
    const texts = Array.isArray(value) ? value : [value];
    if (texts.some((text) => typeof text === "string" && text.includes("\u0000"))) return `${part}.${name}`;
  }
  return undefined;
}

/** Refuses a NUL character in the URL (`/threads/x/state/%00`) with a 422 naming the parameter, on every route. */
export function refuseNulInUrl(app: FastifyInstance): void {
  app.addHook("preValidation", async (request, reply) => {
    const field = nulField("path", request.params) ?? nulField("query", request.query);
    if (field) return reply.status(422).send({ detail: `${field} may not contain the NUL character` });
  });
}
