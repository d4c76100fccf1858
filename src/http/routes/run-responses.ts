import type { FastifyReply, FastifyRequest } from "fastify";
import type { ServerContext } from "../context.js";
import { createRun, type RunBody } from "../../runs/create-run.js";
import { configurableHeaders, headerPatterns, type HeaderPatterns } from "../../runs/configurable-headers.js";
import type { RunEnd } from "../../queue/executor.js";
import { threadAnswer } from "../../queue/run-output.js";
import type { StreamEvent } from "../../bus/bus.js";
import type { Json, QueuedRun, Run } from "../../storage/types.js";
import { publicRun } from "../../storage/domain/runs.js";
import { sendDelayedJson, sendEventStream } from "../sse.js";

/** The run as the API shows it: bookkeeping dropped, the webhook's query values masked. */
export function presentRun(ctx: ServerContext, run: Run): Run {
  const shown = publicRun(run);
  const webhook = shown.kwargs.webhook;
  if (typeof webhook === "string") shown.kwargs = { ...shown.kwargs, webhook: ctx.redactUrl(webhook) };
  return shown;
}

const threadRunPath = (threadId: string, runId: string) => `/threads/${threadId}/runs/${runId}`;

/** Query flags as the Python server reads them (the SDK sends "1"/"0"). */
export function flag(value: string | undefined): boolean {
  return value !== undefined && ["true", "yes", "1"].includes(value.toLowerCase());
}

/** Heartbeat/keep-alive interval (tests shorten it). */
const heartbeatMs = (ctx: ServerContext): number => ctx.config.sseHeartbeatMs;

const patternsCache = new WeakMap<object, HeaderPatterns>();

/** The request headers the operator lets into a run's `configurable` (`http.configurable_headers`). */
function runHeaders(ctx: ServerContext, request: FastifyRequest): Record<string, string> {
  const http = ctx.config.project.http;
  let patterns = patternsCache.get(http);
  if (!patterns) patternsCache.set(http, (patterns = headerPatterns(http.configurable_headers)));
  return configurableHeaders(request.headers, patterns);
}

/** `wait`/`join` answer: the run's own output, else the thread's stored state (Python's fallback). */
export async function runAnswer(ctx: ServerContext, end: RunEnd | undefined, run: QueuedRun): Promise<Json> {
  if (end?.output !== undefined && end.output !== null) return end.output;
  if (run.stateless && run.on_completion === "delete") return {};
  return threadAnswer(await ctx.storage.threads.get(run.thread_id));
}

export async function respondCreate(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, threadId: string | undefined, body: RunBody) {
  const { run } = await createRun(ctx.runService, threadId, body, { headers: runHeaders(ctx, request) });
  reply.header("Content-Location", threadId === undefined ? `/runs/${run.run_id}` : threadRunPath(run.thread_id, run.run_id));
  return presentRun(ctx, run);
}

/** Answers with the run's output once it ends; `cancel` on disconnect stops it when asked. */
export async function respondWait(ctx: ServerContext, request: FastifyRequest, reply: FastifyReply, threadId: string | undefined, body: RunBody) {
  const { run } = await createRun(ctx.runService, threadId, body, { headers: runHeaders(ctx, request) });
  const completion = ctx.runs.completion(run.run_id);
  // As the Python server: even a stateless wait names the run by its (temporary) thread.
  const path = threadRunPath(run.thread_id, run.run_id);
  await sendDelayedJson(reply, async () => runAnswer(ctx, await completion, run), {
    headers: { Location: `${path}/join`, "Content-Location": path },
    heartbeatMs: heartbeatMs(ctx),
    onClientGone: () => {
      if (body.on_disconnect === "cancel") void ctx.runs.cancel(run.run_id, "interrupt");
    },
  });
}

export async function respondStream(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  threadId: string | undefined,
  body: RunBody,
): Promise<void> {
  const { run } = await createRun(ctx.runService, threadId, body, { headers: runHeaders(ctx, request) });
  const path = threadId === undefined ? `/runs/${run.run_id}` : threadRunPath(run.thread_id, run.run_id);
  await sendEventStream(request, reply, (signal) => ctx.streams.subscribe(run.run_id, { signal }), {
    headers: { Location: `${path}/stream`, "Content-Location": path },
    heartbeatMs: heartbeatMs(ctx),
    onClientGone: () => {
      if (body.on_disconnect === "cancel") void ctx.runs.cancel(run.run_id, "interrupt");
    },
  });
}

/** `stream_mode` of a join: one mode, repeated params, or a JSON array (as the Python server reads it). */
export function parseStreamModes(raw: string | string[] | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const modes = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => {
    if (value.startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch {
        // not JSON: a mode name
      }
    }
    return [value];
  });
  return modes.length > 0 ? new Set(modes) : undefined;
}

/** Whether a joined stream that asked for `modes` passes the event (run-level events always do). */
function wanted(event: StreamEvent, modes: Set<string> | undefined): boolean {
  if (!modes) return true;
  const base = event.event.split("|")[0];
  if (base === "metadata" || base === "error" || base === "end") return true;
  if (base.startsWith("messages")) return modes.has("messages") || modes.has("messages-tuple");
  return modes.has(base);
}

async function* filtered(events: AsyncIterable<StreamEvent>, modes: Set<string> | undefined): AsyncGenerator<StreamEvent> {
  for await (const event of events) if (wanted(event, modes)) yield event;
}

/** Joins a run's stream; `Last-Event-ID` resumes after the last event seen. */
export async function respondJoinStream(
  ctx: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  run: QueuedRun | undefined,
  options: { runId: string; cancelOnDisconnect: boolean; path: string; streamModes?: Set<string> },
): Promise<void> {
  // A run still to start here (e.g. pending since before a restart) gets its channel now, so the reader waits for it.
  if (run && (run.status === "pending" || run.status === "running")) ctx.streams.open(run.run_id, run.thread_id);
  const lastEventId = request.headers["last-event-id"];
  await sendEventStream(
    request,
    reply,
    (signal) =>
      filtered(
        ctx.streams.subscribe(options.runId, { signal, lastEventId: typeof lastEventId === "string" ? lastEventId : undefined }),
        options.streamModes,
      ),
    {
      headers: { Location: `${options.path}/stream`, "Content-Location": options.path },
      heartbeatMs: heartbeatMs(ctx),
      onClientGone: () => {
        if (options.cancelOnDisconnect) void ctx.runs.cancel(options.runId, "interrupt");
      },
    },
  );
}

/** `join`: waits for the run's end and answers its output (at once for an ended run). */
export async function respondJoin(ctx: ServerContext, reply: FastifyReply, run: QueuedRun, cancelOnDisconnect: boolean): Promise<void> {
  const active = run.status === "pending" || run.status === "running";
  const end = active ? ctx.runs.completion(run.run_id) : ctx.runs.recentEnd(run.run_id);
  const path = threadRunPath(run.thread_id, run.run_id);
  await sendDelayedJson(reply, async () => runAnswer(ctx, await end, run), {
    headers: { Location: `${path}/join`, "Content-Location": path },
    heartbeatMs: heartbeatMs(ctx),
    onClientGone: () => {
      if (cancelOnDisconnect && active) void ctx.runs.cancel(run.run_id, "interrupt");
    },
  });
}
