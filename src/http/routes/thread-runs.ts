import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import { CancelQuery, JoinQuery, JoinStreamQuery, Run, RunCreateStateful, RunField, RunStatus } from "../schemas/runs.js";
import { Limit, Offset, RunIdParams, ThreadIdParams } from "../schemas/common.js";
import { notFound } from "../../errors.js";
import type { RunBody } from "../../runs/create-run.js";
import { selectFields } from "../select.js";
import {
  flag,
  parseStreamModes,
  presentRun,
  respondCreate,
  respondJoin,
  respondJoinStream,
  respondStream,
  respondWait,
  runAnswer,
} from "./run-responses.js";

/** Runs on a thread: create (background), stream, wait, list, get, join, cancel, delete. */
export function threadRunRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  const requireRun = async (threadId: string, runId: string) => {
    const run = await ctx.storage.runs.get(runId, threadId);
    if (!run) throw notFound("run", runId);
    return run;
  };

  return async (app) => {
    app.post("/threads/:thread_id/runs", { schema: { params: ThreadIdParams, body: RunCreateStateful, response: { 200: Run } } }, (request, reply) =>
      respondCreate(ctx, request, reply, request.params.thread_id, request.body as RunBody),
    );

    app.post("/threads/:thread_id/runs/stream", { schema: { params: ThreadIdParams, body: RunCreateStateful } }, (request, reply) =>
      respondStream(ctx, request, reply, request.params.thread_id, request.body as RunBody),
    );

    app.post("/threads/:thread_id/runs/wait", { schema: { params: ThreadIdParams, body: RunCreateStateful } }, (request, reply) =>
      respondWait(ctx, request, reply, request.params.thread_id, request.body as RunBody),
    );

    app.get(
      "/threads/:thread_id/runs",
      {
        schema: {
          params: ThreadIdParams,
          querystring: Type.Object({ limit: Limit(), offset: Offset, status: Type.Optional(RunStatus), select: Type.Optional(Type.Array(RunField)) }),
        },
      },
      async (request) => {
        const { select, ...query } = request.query;
        const runs = await ctx.storage.runs.list(request.params.thread_id, query);
        return selectFields(
          runs.map((run) => presentRun(ctx, run)),
          select,
        );
      },
    );

    app.get("/threads/:thread_id/runs/:run_id", { schema: { params: RunIdParams, response: { 200: Run } } }, async (request) =>
      presentRun(ctx, await requireRun(request.params.thread_id, request.params.run_id)),
    );

    app.delete("/threads/:thread_id/runs/:run_id", { schema: { params: RunIdParams } }, async (request, reply) => {
      await ctx.storage.runs.delete(request.params.run_id, request.params.thread_id);
      return reply.status(204).send();
    });

    app.get("/threads/:thread_id/runs/:run_id/join", { schema: { params: RunIdParams, querystring: JoinQuery } }, async (request, reply) => {
      const run = await requireRun(request.params.thread_id, request.params.run_id);
      await respondJoin(ctx, reply, run, flag(request.query.cancel_on_disconnect));
    });

    app.get("/threads/:thread_id/runs/:run_id/stream", { schema: { params: RunIdParams, querystring: JoinStreamQuery } }, async (request, reply) => {
      const { thread_id, run_id } = request.params;
      const run = await requireRun(thread_id, run_id);
      await respondJoinStream(ctx, request, reply, run, {
        runId: run_id,
        cancelOnDisconnect: flag(request.query.cancel_on_disconnect),
        path: `/threads/${thread_id}/runs/${run_id}`,
        streamModes: parseStreamModes(request.query.stream_mode),
      });
    });

    app.post("/threads/:thread_id/runs/:run_id/cancel", { schema: { params: RunIdParams, querystring: CancelQuery } }, async (request, reply) => {
      const run = await requireRun(request.params.thread_id, request.params.run_id);
      const wait = flag(request.query.wait);
      const active = run.status === "pending" || run.status === "running";
      const completion = wait && active ? ctx.runs.completion(run.run_id) : undefined;
      await ctx.runs.cancel(run.run_id, request.query.action ?? "interrupt");
      if (!wait) return reply.status(202).send();
      // As the Python server: with `wait`, the answer is the run's output, like `join`'s.
      return runAnswer(ctx, await (completion ?? ctx.runs.recentEnd(run.run_id)), run);
    });
  };
}
