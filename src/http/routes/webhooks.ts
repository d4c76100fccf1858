import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import { Limit, Offset, Uuid } from "../schemas/common.js";
import { conflict, notFound } from "../../errors.js";
import type { Delivery } from "../../storage/types.js";
import type { DeliveryRecord } from "../../storage/storage.js";

const DeliveryStatus = Type.Union([Type.Literal("pending"), Type.Literal("succeeded"), Type.Literal("failed")]);

const Attempt = Type.Object({
  attempt: Type.Integer(),
  trigger: Type.Union([Type.Literal("automatic"), Type.Literal("manual")]),
  started_at: Type.String(),
  duration_ms: Type.Number(),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  response_excerpt: Type.Union([Type.String(), Type.Null()]),
});

const DeliverySummary = Type.Object({
  delivery_id: Type.String(),
  run_id: Type.String(),
  thread_id: Type.Union([Type.String(), Type.Null()]),
  url: Type.String({ description: "The webhook URL with its query values masked" }),
  status: DeliveryStatus,
  attempt_count: Type.Integer(),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
});

const DeliveryDetail = Type.Object({ ...DeliverySummary.properties, attempts: Type.Array(Attempt) });

const DeliveryParams = Type.Object({ delivery_id: Uuid });

/** The webhook delivery log (hookgraph's extension of the API): every attempt, and redelivery. */
export function webhookRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  const summary = (delivery: Delivery) => ({
    delivery_id: delivery.delivery_id,
    run_id: delivery.run_id,
    thread_id: delivery.thread_id,
    url: ctx.redactUrl(delivery.url),
    status: delivery.status,
    attempt_count: delivery.attempt_count,
    next_attempt_at: delivery.status === "pending" ? delivery.next_attempt_at : null,
    created_at: delivery.created_at,
    updated_at: delivery.updated_at,
  });
  const detail = (delivery: DeliveryRecord) => ({ ...summary(delivery), attempts: delivery.attempts });

  return async (app) => {
    app.get(
      "/webhooks/deliveries",
      {
        schema: {
          description: "Webhook deliveries, newest first. URLs show their query values as ***.",
          tags: ["Webhooks"],
          querystring: Type.Object({
            run_id: Type.Optional(Uuid),
            thread_id: Type.Optional(Uuid),
            status: Type.Optional(DeliveryStatus),
            limit: Type.Optional(Limit(1000, 50)),
            offset: Type.Optional(Offset),
          }),
          response: { 200: Type.Array(DeliverySummary) },
        },
      },
      async (request) => {
        const { limit = 50, offset = 0, ...filters } = request.query;
        return (await ctx.storage.deliveries.list({ ...filters, limit, offset })).map(summary);
      },
    );

    app.get(
      "/webhooks/deliveries/:delivery_id",
      {
        schema: { description: "One delivery with every attempt.", tags: ["Webhooks"], params: DeliveryParams, response: { 200: DeliveryDetail } },
      },
      async (request) => {
        const delivery = await ctx.storage.deliveries.get(request.params.delivery_id);
        if (!delivery) throw notFound("delivery", request.params.delivery_id);
        return detail(delivery);
      },
    );

    app.post(
      "/webhooks/deliveries/:delivery_id/redeliver",
      {
        schema: {
          description:
            "Makes a new attempt now (right after the current one if an attempt is in flight), with the same webhook-id. " +
            "Answers 202; the attempt appears in the log. 409 when webhooks are disabled.",
          tags: ["Webhooks"],
          params: DeliveryParams,
          response: { 202: DeliverySummary },
        },
      },
      async (request, reply) => {
        if (ctx.config.project.http.disable_webhooks === true) {
          throw conflict("webhooks are disabled (http.disable_webhooks): nothing is sent");
        }
        if (!(await ctx.storage.deliveries.redeliver(request.params.delivery_id))) {
          throw notFound("delivery", request.params.delivery_id);
        }
        ctx.wakeDeliveries();
        const delivery = await ctx.storage.deliveries.get(request.params.delivery_id);
        return reply.status(202).send(summary(delivery!));
      },
    );
  };
}
