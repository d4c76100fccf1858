import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import { CancelQuery, JoinStreamQuery, Run, RunCreateStateless, RunsCancel } from "../schemas/runs.js";
import { Uuid } from "../schemas/common.js";
import { invalid, notFound } from "../../errors.js";
import type { RunBody } from "../../runs/create-run.js";
import { respondCreate, respondJoinStream, respondStream, respondWait } from "./run-responses.js";

/** Stateless runs (each on a temporary thread) and cancelling many runs at once. */
export function statelessRunRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post("/runs", { schema: { body: RunCreateStateless, response: { 200: Run } } }, (request, reply) =>
      respondCreate(ctx, reply, undefined, request.body as RunBody),
    );

    app.post("/runs/stream", { schema: { body: RunCreateStateless } }, (request, reply) =>
      respondStream(ctx, request, reply, undefined, request.body as RunBody),
    );

    app.post("/runs/wait", { schema: { body: RunCreateStateless } }, (request, reply) =>
      respondWait(ctx, reply, undefined, request.body as RunBody),
    );

    app.post(
      "/runs/batch",
      { schema: { body: Type.Array(RunCreateStateless, { minItems: 1, maxItems: 1000 }), response: { 200: Type.Array(Run) } } },
      async (request, reply) => {
        const runs = [];
        for (const body of request.body) runs.push(await respondCreate(ctx, reply, undefined, body as RunBody));
        reply.removeHeader("Content-Location");
        return runs;
      },
    );

    app.get(
      "/runs/:run_id/stream",
      { schema: { params: Type.Object({ run_id: Uuid }), querystring: JoinStreamQuery } },
      async (request, reply) => {
        const { run_id } = request.params;
        if (!ctx.streams.has(run_id) && !(await ctx.storage.runs.get(run_id))) throw notFound("run", run_id);
        await respondJoinStream(ctx, request, reply, run_id, {
          cancelOnDisconnect: request.query.cancel_on_disconnect ?? false,
          path: `/runs/${run_id}/stream`,
        });
      },
    );

    app.post("/runs/cancel", { schema: { body: RunsCancel, querystring: CancelQuery } }, async (request, reply) => {
      const { thread_id, run_ids, status } = request.body;
      if (run_ids === undefined && thread_id === undefined && status === undefined) {
        throw invalid("body must name run_ids, thread_id or status");
      }
      const action = request.query.action ?? "interrupt";
      const targets = await ctx.storage.runs.findActive({ thread_id, run_ids, status: status ?? "all" });
      if (run_ids && targets.length === 0) throw notFound("runs", run_ids.join(", "));
      for (const runId of targets) await ctx.worker.cancel(runId, action);
      return reply.status(204).send();
    });
  };
}
