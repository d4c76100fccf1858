import { createRequire } from "node:module";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ServerContext } from "../context.js";
import { VERSION } from "../../version.js";

/** The LangGraph.js library graphs run on (the official Python server reports its `langgraph_py_version`). */
const LANGGRAPH_JS_VERSION = (createRequire(import.meta.url)("@langchain/langgraph/package.json") as { version: string }).version;

/**
 * The document is OpenAPI 3.0, whose schemas take JSON Schema draft 4 bounds: `exclusiveMinimum`
 * is a boolean beside `minimum`. Route schemas use the numeric form Ajv validates; this rewrites it.
 */
function toOpenApi30Bounds(node: unknown): unknown {
  if (Array.isArray(node)) node.forEach(toOpenApi30Bounds);
  else if (node !== null && typeof node === "object") {
    const schema = node as Record<string, unknown>;
    for (const [exclusive, bound] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
      if (typeof schema[exclusive] === "number") {
        schema[bound] = schema[exclusive];
        schema[exclusive] = true;
      }
    }
    Object.values(schema).forEach(toOpenApi30Bounds);
  }
  return node;
}

/** Capabilities and the generated OpenAPI document (`/ok` is in health.ts). */
export function metaRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/info", async () => ({
      version: VERSION,
      langgraph_js_version: LANGGRAPH_JS_VERSION,
      server: "hookgraph",
      mode: ctx.config.mode,
      flags: {
        assistants: true,
        crons: true,
        langsmith: false,
        webhooks: !ctx.config.project.http.disable_webhooks,
      },
      metadata: {},
    }));

    let document: unknown;
    app.get("/openapi.json", { schema: { hide: true } }, async () => (document ??= toOpenApi30Bounds(structuredClone(app.swagger()))));
  };
}
