import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { checkDependencies, type Health } from "../health.js";

const OkResponse = Type.Object({
  ok: Type.Boolean(),
  /** Present while the process stops: it finishes what it holds and takes nothing new. */
  draining: Type.Optional(Type.Boolean()),
  /** With `check_db=1`: each dependency, `ok` or `unavailable`. */
  dependencies: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Literal("ok"), Type.Literal("unavailable")]))),
});

/**
 * `GET /ok` (the official health check; `check_db=1` also checks the database and Redis) and
 * `GET /metrics` (Prometheus). Open without auth, as load balancers and scrapers call them. A
 * draining process or a dependency that is down answers 503, so a load balancer moves on.
 */
export function healthRoutes(health: Health): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      "/ok",
      {
        schema: {
          querystring: Type.Object({ check_db: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])) }),
          response: { 200: OkResponse, 503: OkResponse },
        },
      },
      async (request, reply) => {
        const draining = health.draining();
        const dependencies = request.query.check_db === 1 ? await checkDependencies(health) : undefined;
        const ok = !draining && Object.values(dependencies ?? {}).every((state) => state === "ok");
        return reply.status(ok ? 200 : 503).send({ ok, ...(draining ? { draining } : {}), ...(dependencies ? { dependencies } : {}) });
      },
    );

    app.get("/metrics", { schema: { hide: true } }, async (_request, reply) => {
      return reply.type(health.metrics.contentType).send(await health.metrics.text());
    });
  };
}
