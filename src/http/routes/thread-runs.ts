import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import { CancelQuery, JoinStreamQuery, Run, RunCreateStateful, RunStatus } from "../schemas/runs.js";
import { Limit, Offset, RunIdParams, ThreadIdParams } from "../schemas/common.js";
import { notFound } from "../../errors.js";
import type { RunBody } from "../../runs/create-run.js";
import { presentRun, respondCreate, respondJoinStream, respondStream, respondWait, waitResponse } from "./run-responses.js";

const FINAL = new Set(["success", "error", "timeout", "interrupted"]);

/** Runs on a thread: create (background), stream, wait, list, get, join, cancel, delete. */
export function threadRunRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post("/threads/:thread_id/runs", { schema: { params: ThreadIdParams, body: RunCreateStateful, response: { 200: Run } } }, (request, reply) =>
      respondCreate(ctx, reply, request.params.thread_id, request.body as RunBody),
    );

    app.post("/threads/:thread_id/runs/stream", { schema: { params: ThreadIdParams, body: RunCreateStateful } }, (request, reply) =>
      respondStream(ctx, request, reply, request.params.thread_id, request.body as RunBody),
    );

    app.post("/threads/:thread_id/runs/wait", { schema: { params: ThreadIdParams, body: RunCreateStateful } }, (request, reply) =>
      respondWait(ctx, reply, request.params.thread_id, request.body as RunBody),
    );

    app.get(
      "/threads/:thread_id/runs",
      { schema: { params: ThreadIdParams, querystring: Type.Object({ limit: Limit(), offset: Offset, status: Type.Optional(RunStatus) }) } },
      async (request) => {
        const runs = await ctx.storage.runs.list(request.params.thread_id, request.query);
        return runs.map((run) => presentRun(ctx, run));
      },
    );

    app.get("/threads/:thread_id/runs/:run_id", { schema: { params: RunIdParams, response: { 200: Run } } }, async (request) => {
      const run = await ctx.storage.runs.get(request.params.run_id, request.params.thread_id);
      if (!run) throw notFound("run", request.params.run_id);
      return presentRun(ctx, run);
    });

    app.delete("/threads/:thread_id/runs/:run_id", { schema: { params: RunIdParams } }, async (request, reply) => {
      await ctx.storage.runs.delete(request.params.run_id, request.params.thread_id);
      return reply.status(204).send();
    });

    app.get(
      "/threads/:thread_id/runs/:run_id/join",
      { schema: { params: RunIdParams, querystring: Type.Object({ cancel_on_disconnect: Type.Optional(Type.Boolean()) }) } },
      async (request) => {
        const { thread_id, run_id } = request.params;
        const run = await ctx.storage.runs.get(run_id, thread_id);
        if (!run) throw notFound("run", run_id);
        if (!FINAL.has(run.status) || ctx.worker.isActive(run_id)) return waitResponse(await ctx.worker.completion(run_id));
        const thread = await ctx.storage.threads.get(thread_id);
        return thread?.values ?? null;
      },
    );

    app.get(
      "/threads/:thread_id/runs/:run_id/stream",
      { schema: { params: RunIdParams, querystring: JoinStreamQuery } },
      async (request, reply) => {
        const { thread_id, run_id } = request.params;
        if (!(await ctx.storage.runs.get(run_id, thread_id))) throw notFound("run", run_id);
        await respondJoinStream(ctx, request, reply, run_id, {
          cancelOnDisconnect: request.query.cancel_on_disconnect ?? false,
          path: `/threads/${thread_id}/runs/${run_id}/stream`,
        });
      },
    );

    app.post(
      "/threads/:thread_id/runs/:run_id/cancel",
      { schema: { params: RunIdParams, querystring: CancelQuery } },
      async (request, reply) => {
        const { thread_id, run_id } = request.params;
        const run = await ctx.storage.runs.get(run_id, thread_id);
        if (!run) throw notFound("run", run_id);
        const action = request.query.action ?? "interrupt";
        const completion = ctx.worker.isActive(run_id) ? ctx.worker.completion(run_id) : undefined;
        await ctx.worker.cancel(run_id, action);
        if (request.query.wait && completion) await completion;
        return reply.status(request.query.wait ? 204 : 202).send();
      },
    );
  };
}
