import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { ServerContext } from "../context.js";
import { Cron, CronCount, CronCreate, CronIdParams, CronPatch, CronSearch, ThreadCronCreate } from "../schemas/crons.js";
import { ThreadIdParams } from "../schemas/common.js";
import { notFound } from "../../errors.js";
import type { Cron as CronRecord, CronFilter } from "../../storage/storage.js";
import { isUuid, systemAssistantId } from "../../storage/system-assistant.js";
import { createCron, patchCron, type CronCreateBody, type CronPatchBody } from "../../crons/service.js";
import { selectFields } from "../select.js";

/** Crons: stateless and thread crons, search, count, get, patch, delete. */
export function cronRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  /** The cron as the API shows it: the webhook's query values masked. */
  const present = (cron: CronRecord): CronRecord => {
    const { webhook } = cron.payload;
    return typeof webhook === "string" ? { ...cron, payload: { ...cron.payload, webhook: ctx.redactUrl(webhook) } } : cron;
  };
  /** Filters name an assistant by id or by graph id, as run bodies do. */
  const filter = ({ assistant_id, ...rest }: CronFilter): CronFilter => ({
    ...rest,
    assistant_id: assistant_id === undefined || isUuid(assistant_id) ? assistant_id : systemAssistantId(assistant_id),
  });

  return async (app) => {
    app.post("/runs/crons", { schema: { body: CronCreate, response: { 200: Cron } } }, async (request) =>
      present(await createCron(ctx.runService, undefined, request.body as CronCreateBody)),
    );

    app.post(
      "/threads/:thread_id/runs/crons",
      { schema: { params: ThreadIdParams, body: ThreadCronCreate, response: { 200: Cron } } },
      async (request) => present(await createCron(ctx.runService, request.params.thread_id, request.body as CronCreateBody)),
    );

    app.post("/runs/crons/search", { schema: { body: CronSearch } }, async (request) => {
      const { limit = 10, offset = 0, select, sort_by, sort_order, ...filters } = request.body ?? {};
      const crons = await ctx.storage.crons.search({ ...filter(filters), sort_by, sort_order, limit, offset });
      // `now`, the server's clock, is a field only `select` asks for.
      const now = new Date().toISOString();
      const shown = crons.map((cron) => (select?.includes("now") ? { ...present(cron), now } : present(cron)));
      return selectFields(shown, select);
    });

    app.post("/runs/crons/count", { schema: { body: CronCount } }, async (request) => ctx.storage.crons.count(filter(request.body ?? {})));

    app.get("/runs/crons/:cron_id", { schema: { params: CronIdParams, response: { 200: Cron } } }, async (request) => {
      const cron = await ctx.storage.crons.get(request.params.cron_id);
      if (!cron) throw notFound("cron", request.params.cron_id);
      return present(cron);
    });

    app.patch("/runs/crons/:cron_id", { schema: { params: CronIdParams, body: CronPatch, response: { 200: Cron } } }, async (request) =>
      present(await patchCron(ctx.runService, request.params.cron_id, request.body as CronPatchBody)),
    );

    app.delete("/runs/crons/:cron_id", { schema: { params: CronIdParams } }, async (request, reply) => {
      if (!(await ctx.storage.crons.delete(request.params.cron_id))) throw notFound("cron", request.params.cron_id);
      return reply.status(204).send();
    });
  };
}
