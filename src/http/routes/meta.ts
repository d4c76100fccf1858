import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ServerContext } from "../context.js";
import { VERSION } from "../../version.js";

/** Health, capabilities and the generated OpenAPI document. */
export function metaRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get("/ok", { schema: { hide: true } }, async () => ({ ok: true }));

    app.get("/info", async () => ({
      version: VERSION,
      server: "hookgraph",
      mode: ctx.config.mode,
      flags: {
        assistants: true,
        crons: false,
        langsmith: false,
        webhooks: !ctx.config.project.http.disable_webhooks,
      },
    }));

    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  };
}
