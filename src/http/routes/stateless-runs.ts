import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import { CancelQuery, JoinStreamQuery, Run, RunCreateStateless, RunsCancel } from "../schemas/runs.js";
import { Uuid } from "../schemas/common.js";
import { invalid, notFound } from "../../errors.js";
import { resolveAssistant, type RunBody } from "../../runs/create-run.js";
import { flag, parseStreamModes, respondCreate, respondJoinStream, respondStream, respondWait } from "./run-responses.js";

/** Stateless runs (each on a temporary thread) and cancelling many runs at once. */
export function statelessRunRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post("/runs", { schema: { body: RunCreateStateless, response: { 200: Run } } }, (request, reply) =>
      respondCreate(ctx, request, reply, undefined, request.body as RunBody),
    );

    app.post("/runs/stream", { schema: { body: RunCreateStateless } }, (request, reply) =>
      respondStream(ctx, request, reply, undefined, request.body as RunBody),
    );

    app.post("/runs/wait", { schema: { body: RunCreateStateless } }, (request, reply) =>
      respondWait(ctx, request, reply, undefined, request.body as RunBody),
    );

    app.post(
      "/runs/batch",
      { schema: { body: Type.Array(RunCreateStateless, { minItems: 1, maxItems: 1000 }), response: { 200: Type.Array(Run) } } },
      async (request, reply) => {
        // Every item is checked before any is created: a refused item leaves no run behind.
        for (const [index, body] of request.body.entries()) {
          await resolveAssistant(ctx.storage, body.assistant_id);
          if (body.webhook !== undefined) {
            try {
              ctx.runService.checkWebhookUrl(body.webhook);
            } catch (error) {
              throw invalid(`body.${index}.${(error as Error).message}`);
            }
          }
        }
        const runs = [];
        for (const body of request.body) runs.push(await respondCreate(ctx, request, reply, undefined, body as RunBody));
        reply.removeHeader("Content-Location");
        return runs;
      },
    );

    app.get(
      "/runs/:run_id/stream",
      { schema: { params: Type.Object({ run_id: Uuid }), querystring: JoinStreamQuery } },
      async (request, reply) => {
        const { run_id } = request.params;
        const run = await ctx.storage.runs.get(run_id);
        // A stateless run deleted on completion still has its stream for a while.
        if (!run && !(await ctx.streams.has(run_id))) throw notFound("run", run_id);
        await respondJoinStream(ctx, request, reply, run, {
          runId: run_id,
          cancelOnDisconnect: flag(request.query.cancel_on_disconnect),
          path: `/runs/${run_id}`,
          streamModes: parseStreamModes(request.query.stream_mode),
        });
      },
    );

    app.post("/runs/cancel", { schema: { body: RunsCancel, querystring: CancelQuery } }, async (request, reply) => {
      const { thread_id, run_ids, status } = request.body;
      if (status !== undefined && (thread_id !== undefined || run_ids !== undefined)) {
        throw invalid("body.status cancels runs of every thread: give either status, or thread_id/run_ids");
      }
      if (run_ids === undefined && thread_id === undefined && status === undefined) {
        throw invalid("body must name run_ids, thread_id or status");
      }
      if (run_ids !== undefined && run_ids.length > 0) {
        const known = await Promise.all(run_ids.map((runId) => ctx.storage.runs.get(runId, thread_id)));
        if (known.every((run) => run === undefined)) throw notFound("runs", run_ids.join(", "));
      }
      const action = request.query.action ?? "interrupt";
      const targets = await ctx.storage.runs.findActive({ thread_id, run_ids, status: status ?? "all" });
      for (const runId of targets) await ctx.runs.cancel(runId, action);
      return reply.status(204).send();
    });
  };
}
