import Fastify, { LogController, type FastifyInstance, type FastifyReply } from "fastify";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { ServerContext } from "./context.js";
import { installErrorHandler } from "./error-handler.js";
import { refuseNulInUrl, validatorCompiler } from "./validation.js";
import { metaRoutes } from "./routes/meta.js";
import { healthRoutes } from "./routes/health.js";
import type { Health } from "./health.js";
import { threadRunRoutes } from "./routes/thread-runs.js";
import { statelessRunRoutes } from "./routes/stateless-runs.js";
import { assistantRoutes } from "./routes/assistants.js";
import { threadRoutes } from "./routes/threads.js";
import { storeRoutes } from "./routes/store.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { cronRoutes } from "./routes/crons.js";
import { VERSION } from "../version.js";
import { dashboardRoutes } from "../ui/routes.js";
import { installCors } from "./cors.js";

/** The Fastify instance both apps start from: our logging, our framework-error shape. */
function baseApp(logger: FastifyInstance["log"]) {
  return Fastify({
    loggerInstance: logger,
    // Fastify's request logs would echo URLs, whose query may hold a token: we log route patterns instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024 * 1024,
    // Errors the router raises before any route: the same {detail} shape, without echoing the path.
    frameworkErrors: (error, _request, reply) => {
      const detail =
        error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "a path parameter is longer than 100 characters" : "the request URL is not valid";
      void (reply as FastifyReply).status(error.statusCode ?? 400).send({ detail });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
}

/** A queue-only process (`hookgraph worker`) serves only its health and metrics. */
export async function buildHealthApp(health: Health, logger: FastifyInstance["log"]): Promise<FastifyInstance> {
  const app = baseApp(logger);
  app.setValidatorCompiler(validatorCompiler());
  installErrorHandler(app);
  await app.register(healthRoutes(health));
  return app;
}

/** The whole API. */
export async function buildApp(ctx: ServerContext, health: Health, logger: FastifyInstance["log"]): Promise<FastifyInstance> {
  const app = baseApp(logger);
  app.setValidatorCompiler(validatorCompiler());
  // Bodies are JSON whatever they are labelled, as on both official servers: a browser's fetch of
  // a string body sends text/plain (and skips the CORS preflight), some clients send no type at all.
  const json = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("text/plain", { parseAs: "string" }, json);
  app.addContentTypeParser("*", { parseAs: "string" }, json);
  installErrorHandler(app);
  refuseNulInUrl(app);
  if (ctx.config.cors) installCors(app, ctx.config.cors);
  app.addHook("onResponse", async (request, reply) => {
    request.log.debug(
      { method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      "request",
    );
  });
  await app.register(swagger, {
    openapi: {
      info: { title: "hookgraph", version: VERSION, description: "LangGraph Platform compatible API with durable webhooks" },
    },
  });
  await app.register(healthRoutes(health));
  await app.register(metaRoutes(ctx));
  await app.register(threadRunRoutes(ctx));
  await app.register(statelessRunRoutes(ctx));
  await app.register(assistantRoutes(ctx));
  await app.register(threadRoutes(ctx));
  await app.register(storeRoutes(ctx.store));
  await app.register(webhookRoutes(ctx));
  await app.register(cronRoutes(ctx));
  if (ctx.config.ui) await app.register(dashboardRoutes(ctx));
  return app;
}
