import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type, type Static } from "typebox";
import type { ServerContext } from "../http/context.js";
import { Uuid } from "../http/schemas/common.js";
import { RUN_STATUSES } from "../storage/storage.js";
import { VERSION } from "../version.js";
import { loadDashboardPage, type Filters } from "./page.js";
import { overview, runDetail } from "./views.js";

// The filter form submits empty fields for "any"; they mean no filter.
const FilterQuery = Type.Object({
  status: Type.Optional(Type.Union([...RUN_STATUSES.map((s) => Type.Literal(s)), Type.Literal("")])),
  assistant_id: Type.Optional(Type.String({ maxLength: 200 })),
  thread_id: Type.Optional(Type.String({ maxLength: 200 })),
  // Paging: the runs created before this one.
  before: Type.Optional(Type.Union([Uuid, Type.Literal("")])),
});
const PageQuery = Type.Object({ ...FilterQuery.properties, run: Type.Optional(Type.Union([Uuid, Type.Literal("")])) });
const OverviewQuery = Type.Object({ ...FilterQuery.properties, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) });

function filters(query: Static<typeof FilterQuery>): Filters {
  const trimmed = (value: string | undefined) => value?.trim() || undefined;
  return {
    status: query.status || undefined,
    assistant_id: trimmed(query.assistant_id),
    thread_id: trimmed(query.thread_id),
    before: query.before || undefined,
  };
}

/**
 * A strict policy: run data shown on the page is untrusted, so only our own script and style may
 * run, and no other site may frame the page (its one button redelivers).
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The dashboard: `GET /ui` (the page), `/ui/assets/*`, and read-only JSON under `/ui/api/`. The
 * one write, redelivery, goes through the public API (`POST /webhooks/deliveries/{id}/redeliver`).
 * Hidden from the OpenAPI document: it is a page, not part of the API.
 */
export function dashboardRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const page = await loadDashboardPage();

    for (const url of ["/ui", "/ui/"]) {
      app.get(url, { schema: { hide: true, querystring: PageQuery } }, async (request, reply) => {
        const current = filters(request.query);
        const snapshot = await overview(ctx, { ...current, limit: 50 });
        return reply
          .type("text/html; charset=utf-8")
          .header("cache-control", "no-store")
          .header("content-security-policy", CSP)
          .header("x-content-type-options", "nosniff")
          .send(page.html({ version: VERSION, filters: current, run: request.query.run || undefined, overview: snapshot }));
      });
    }

    app.get("/ui/assets/:name", { schema: { hide: true, params: Type.Object({ name: Type.String() }) } }, async (request, reply) => {
      const asset = page.assets.get(request.params.name);
      if (!asset) return reply.code(404).send({ detail: `no dashboard asset ${request.params.name}` });
      return reply.type(asset.type).header("cache-control", "no-cache").header("x-content-type-options", "nosniff").send(asset.body);
    });

    app.get("/ui/api/overview", { schema: { hide: true, querystring: OverviewQuery } }, async (request, reply) => {
      reply.header("cache-control", "no-store");
      return overview(ctx, { ...filters(request.query), limit: request.query.limit ?? 50 });
    });

    app.get("/ui/api/runs/:run_id", { schema: { hide: true, params: Type.Object({ run_id: Uuid }) } }, async (request, reply) => {
      reply.header("cache-control", "no-store");
      return runDetail(ctx, request.params.run_id);
    });
  };
}
