import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { createRun, type RunBody } from "../../runs/create-run.js";
import type { RunResult } from "../../queue/executor.js";
import type { Json, Run } from "../../storage/types.js";
import { publicRun } from "../../storage/sqlite/runs.js";
import { sendEventStream } from "../sse.js";

/** The run as the API shows it: bookkeeping dropped, the webhook's query values masked. */
export function presentRun(ctx: ServerContext, run: Run): Run {
  const shown = publicRun(run);
  const webhook = shown.kwargs.webhook;
  if (typeof webhook === "string") shown.kwargs = { ...shown.kwargs, webhook: ctx.redactUrl(webhook) };
  return shown;
}

function runPath(threadId: string | undefined, runId: string, stateless: boolean): string {
  return stateless ? `/runs/${runId}` : `/threads/${threadId}/runs/${runId}`;
}

/** What `wait` and `join` answer: the final values, `__interrupt__` when paused, `__error__` when failed. */
export function waitResponse(result: RunResult): Json {
  if (result.error) return { __error__: result.error };
  return result.values;
}

export async function respondCreate(ctx: ServerContext, reply: FastifyReply, threadId: string | undefined, body: RunBody) {
  const { run } = await createRun(ctx.runService, threadId, body);
  reply.header("Content-Location", runPath(run.thread_id, run.run_id, threadId === undefined));
  return presentRun(ctx, run);
}

export async function respondWait(ctx: ServerContext, reply: FastifyReply, threadId: string | undefined, body: RunBody) {
  const { run } = await createRun(ctx.runService, threadId, body);
  const completion = ctx.worker.completion(run.run_id);
  reply.header("Content-Location", runPath(run.thread_id, run.run_id, threadId === undefined));
  return waitResponse(await completion);
}

export async function respondStream(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  threadId: string | undefined,
  body: RunBody,
): Promise<void> {
  const { run } = await createRun(ctx.runService, threadId, body);
  const stateless = threadId === undefined;
  const path = runPath(run.thread_id, run.run_id, stateless);
  await sendEventStream(request, reply, (signal) => ctx.streams.subscribe(run.run_id, { signal }), {
    headers: { Location: `${path}/stream`, "Content-Location": path },
    onClientGone: () => {
      if (body.on_disconnect === "cancel") void ctx.worker.cancel(run.run_id, "interrupt");
    },
  });
}

/** Joins a run's stream (reconnects with `Last-Event-ID` resume after the last event seen). */
export async function respondJoinStream(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  runId: string,
  options: { cancelOnDisconnect: boolean; path: string },
): Promise<void> {
  const lastEventId = request.headers["last-event-id"];
  await sendEventStream(
    request,
    reply,
    (signal) => ctx.streams.subscribe(runId, { signal, lastEventId: typeof lastEventId === "string" ? lastEventId : undefined }),
    {
      headers: { Location: options.path },
      onClientGone: () => {
        if (options.cancelOnDisconnect) void ctx.worker.cancel(runId, "interrupt");
      },
    },
  );
}
