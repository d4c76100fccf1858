import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { randomUUID } from "node:crypto";
import type { ServerContext } from "../context.js";
import { deleteThreadEverywhere } from "../../threads/delete-thread.js";
import {
  CheckpointResponse,
  HistoryBody,
  HistoryQuery,
  StateCheckpointBody,
  StatePatch,
  StateQuery,
  StateUpdate,
  Thread,
  ThreadCount,
  ThreadCreate,
  ThreadList,
  ThreadPatch,
  ThreadPrune,
  ThreadSearch,
  ThreadState,
  ThreadStreamQuery,
} from "../schemas/threads.js";
import { errorResponses, NoContent, ThreadIdParams, Uuid } from "../schemas/common.js";
import { conflict, invalid, notFound } from "../../errors.js";
import type { JsonObject as JsonObjectValue, Thread as ThreadRecord } from "../../storage/types.js";
import { acceptMissingBody } from "../error-handler.js";
import { selectFields } from "../select.js";
import { sendEventStream } from "../sse.js";

const tags = ["Threads"];
const StateList = Type.Array(Type.Partial(ThreadState));
const StateResponse = { 200: Type.Partial(ThreadState), ...errorResponses(404, 422) };

/** How often threads past their ttl are deleted. */

type Ttl = number | { ttl: number; strategy?: "delete" } | undefined;
const ttlMinutes = (ttl: Ttl) => (ttl === undefined ? undefined : typeof ttl === "number" ? ttl : ttl.ttl);

/** `select: ["values.messages"]` style projection of a ThreadState. */
function selectState(state: JsonObjectValue, select: string[] | undefined): JsonObjectValue {
  if (select === undefined || select.length === 0) return state;
  const picked: JsonObjectValue = {};
  for (const field of select) {
    const [top, sub] = field.split(".", 2);
    const value = state[top];
    if (sub === undefined) picked[top] = value;
    else if (value && typeof value === "object" && !Array.isArray(value)) {
      picked[top] = { ...((picked[top] as JsonObjectValue | undefined) ?? {}), [sub]: (value as JsonObjectValue)[sub] };
    }
  }
  return picked;
}

/** `Thread.interrupts`: the pending interrupts of a ThreadState, by task id. */
function interruptsOf(state: JsonObjectValue): JsonObjectValue {
  const byTask: JsonObjectValue = {};
  for (const task of (state.tasks as JsonObjectValue[] | undefined) ?? []) {
    const interrupts = task.interrupts;
    if (Array.isArray(interrupts) && interrupts.length > 0) byTask[String(task.id)] = interrupts;
  }
  return byTask;
}

/** Threads: CRUD, search, copy, prune, state and history, and the thread-level stream. */
export function threadRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  const requireThread = async (threadId: string): Promise<ThreadRecord> => {
    const thread = await ctx.storage.threads.get(threadId);
    if (!thread) throw notFound("thread", threadId);
    return thread;
  };
  const graphOf = (thread: Pick<ThreadRecord, "metadata">) =>
    typeof thread.metadata.graph_id === "string" ? thread.metadata.graph_id : undefined;
  const requireGraph = (thread: Pick<ThreadRecord, "metadata" | "thread_id">) => {
    const graphId = graphOf(thread);
    if (!graphId) throw invalid(`thread ${thread.thread_id} has no graph yet: run it once, or create it with metadata.graph_id`);
    if (!ctx.graphs.has(graphId)) throw invalid(`metadata.graph_id "${graphId}" is not a graph of langgraph.json`);
    return graphId;
  };

  /** The thread row follows a state written outside a run: its values, pending interrupts and status. */
  const recordState = async (threadId: string, state: JsonObjectValue) => {
    const interrupts = interruptsOf(state);
    await ctx.storage.threads.setState(threadId, {
      values: state.values ?? null,
      interrupts,
      status: Object.keys(interrupts).length > 0 ? "interrupted" : "idle",
    });
  };

  return async (app) => {
    acceptMissingBody(app);

    app.post("/threads", { schema: { tags, body: ThreadCreate, response: { 200: Thread, ...errorResponses(409, 422) } } }, async (request) => {
      const { thread_id, metadata, if_exists, ttl, supersteps } = request.body;
      if (thread_id !== undefined && if_exists === "do_nothing") {
        const existing = await ctx.storage.threads.get(thread_id);
        if (existing) return existing;
      }
      // Checked before anything is written: a failed create leaves nothing behind.
      if (supersteps?.some((step) => step.updates.some((update) => update.command != null))) {
        throw invalid("supersteps[].updates[].command is not supported; give the update as values");
      }
      const graphId = supersteps?.length ? requireGraph({ thread_id: thread_id ?? "(new)", metadata: metadata ?? {} }) : undefined;
      const thread = await ctx.storage.threads.create({ thread_id, metadata, if_exists, ttl_minutes: ttlMinutes(ttl) });
      if (!graphId || !supersteps) return thread;
      try {
        let state: JsonObjectValue | undefined;
        for (const step of supersteps) {
          for (const update of step.updates) {
            ({ state } = await ctx.states.update(thread.thread_id, graphId, { values: update.values, as_node: update.as_node }));
          }
        }
        await recordState(thread.thread_id, state!);
      } catch (error) {
        await deleteThreadEverywhere(ctx, thread.thread_id);
        throw error;
      }
      return (await ctx.storage.threads.get(thread.thread_id))!;
    });

    app.post(
      "/threads/search",
      { schema: { tags, body: ThreadSearch, response: { 200: ThreadList, ...errorResponses(422) } } },
      async (request, reply) => {
        const { limit = 10, offset = 0, select, extract: _extract, sort_by, ...filters } = request.body;
        const sortBy = sort_by === "state_updated_at" ? "updated_at" : sort_by;
        // One row more than asked tells whether a next page exists.
        const found = await ctx.storage.threads.search({ ...filters, sort_by: sortBy, limit: limit + 1, offset });
        if (found.length > limit) reply.header("X-Pagination-Next", String(offset + limit));
        return selectFields(found.slice(0, limit), select);
      },
    );

    app.post("/threads/count", { schema: { tags, body: ThreadCount, response: { 200: Type.Integer(), ...errorResponses(422) } } }, async (request) =>
      ctx.storage.threads.count(request.body),
    );

    app.post(
      "/threads/prune",
      { schema: { tags, body: ThreadPrune, response: { 200: Type.Object({ pruned_count: Type.Integer() }), ...errorResponses(422) } } },
      async (request) => {
        let pruned = 0;
        for (const threadId of new Set(request.body.thread_ids)) {
          if (!(await ctx.storage.threads.get(threadId))) continue;
          if ((request.body.strategy ?? "delete") === "delete") await deleteThreadEverywhere(ctx, threadId);
          else await ctx.states.keepLatest(threadId);
          pruned += 1;
        }
        return { pruned_count: pruned };
      },
    );

    app.get(
      "/threads/:thread_id",
      { schema: { tags, params: ThreadIdParams, response: { 200: Thread, ...errorResponses(404, 422) } } },
      async (request) => requireThread(request.params.thread_id),
    );

    app.patch(
      "/threads/:thread_id",
      { schema: { tags, params: ThreadIdParams, body: ThreadPatch, response: { 200: Thread, 204: NoContent, ...errorResponses(404, 422) } } },
      async (request, reply) => {
        const thread = await ctx.storage.threads.patch(request.params.thread_id, {
          metadata: request.body.metadata,
          ttl_minutes: ttlMinutes(request.body.ttl),
        });
        // The SDK's `returnMinimal` asks for no body.
        if (/\breturn=minimal\b/.test(String(request.headers.prefer ?? ""))) return reply.status(204).send(null);
        return thread;
      },
    );

    app.delete(
      "/threads/:thread_id",
      { schema: { tags, params: ThreadIdParams, response: { 204: NoContent, ...errorResponses(404, 422) } } },
      async (request, reply) => {
        if (!(await deleteThreadEverywhere(ctx, request.params.thread_id))) throw notFound("thread", request.params.thread_id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      "/threads/:thread_id/copy",
      { schema: { tags, params: ThreadIdParams, response: { 200: Thread, ...errorResponses(404, 422) } } },
      async (request) => {
        const source = await requireThread(request.params.thread_id);
        const copyId = randomUUID();
        await ctx.states.copy(source.thread_id, copyId);
        try {
          return await ctx.storage.threads.copy(source.thread_id, copyId);
        } catch (error) {
          await ctx.states.delete(copyId);
          throw error;
        }
      },
    );

    app.get(
      "/threads/:thread_id/state",
      { schema: { tags, params: ThreadIdParams, querystring: StateQuery, response: StateResponse } },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        const state = await ctx.states.get(thread.thread_id, graphOf(thread), { subgraphs: request.query.subgraphs });
        return selectState(state, request.query.select);
      },
    );

    app.get(
      "/threads/:thread_id/state/:checkpoint_id",
      {
        schema: {
          tags,
          params: Type.Object({ thread_id: Uuid, checkpoint_id: Type.String({ minLength: 1 }) }),
          querystring: StateQuery,
          response: StateResponse,
        },
      },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        const state = await ctx.states.get(thread.thread_id, graphOf(thread), {
          checkpoint: { checkpoint_id: request.params.checkpoint_id },
          subgraphs: request.query.subgraphs,
        });
        return selectState(state, request.query.select);
      },
    );

    app.post(
      "/threads/:thread_id/state/checkpoint",
      { schema: { tags, params: ThreadIdParams, body: StateCheckpointBody, response: StateResponse } },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        const state = await ctx.states.get(thread.thread_id, graphOf(thread), {
          checkpoint: request.body.checkpoint,
          subgraphs: request.body.subgraphs,
        });
        return selectState(state, request.body.select);
      },
    );

    app.post(
      "/threads/:thread_id/state",
      { schema: { tags, params: ThreadIdParams, body: StateUpdate, response: { 200: CheckpointResponse, ...errorResponses(404, 409, 422) } } },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        const graphId = requireGraph(thread);
        if ((await ctx.storage.runs.inflight(thread.thread_id)).length > 0) {
          throw conflict(`thread ${thread.thread_id} is busy; its state cannot be updated while a run is pending or running`);
        }
        const { checkpoint, checkpoint_id, as_node, values } = request.body;
        const at = checkpoint ?? (checkpoint_id ? { checkpoint_id } : undefined);
        const { checkpoint: written, state } = await ctx.states.update(thread.thread_id, graphId, {
          values,
          as_node: as_node ?? undefined,
          checkpoint: at,
        });
        await recordState(thread.thread_id, state);
        return { checkpoint: written };
      },
    );

    app.patch(
      "/threads/:thread_id/state",
      { schema: { tags, params: ThreadIdParams, body: StatePatch, response: { 204: NoContent, ...errorResponses(404, 422) } } },
      async (request, reply) => {
        const thread = await requireThread(request.params.thread_id);
        await ctx.states.patchMetadata(thread.thread_id, request.body.metadata);
        return reply.status(204).send(null);
      },
    );

    app.post(
      "/threads/:thread_id/history",
      { schema: { tags, params: ThreadIdParams, body: HistoryBody, response: { 200: StateList, ...errorResponses(404, 422) } } },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        const { limit = 10, before, metadata, checkpoint, select } = request.body;
        const states = await ctx.states.history(thread.thread_id, graphOf(thread), {
          limit,
          before: before ?? undefined,
          metadata: metadata ?? undefined,
          checkpoint: checkpoint ?? undefined,
        });
        return select ? states.map((state) => selectState(state, select)) : states;
      },
    );

    app.get(
      "/threads/:thread_id/history",
      { schema: { tags, params: ThreadIdParams, querystring: HistoryQuery, response: { 200: StateList, ...errorResponses(404, 422) } } },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        return ctx.states.history(thread.thread_id, graphOf(thread), { limit: request.query.limit ?? 10, before: request.query.before });
      },
    );

    app.get(
      "/threads/:thread_id/stream",
      {
        schema: {
          tags,
          description: "Every event of every run on the thread, live. Last-Event-ID resumes after an event; '-' replays what is retained.",
          params: ThreadIdParams,
          querystring: ThreadStreamQuery,
          response: errorResponses(404, 422),
        },
      },
      async (request, reply) => {
        const thread = await requireThread(request.params.thread_id);
        const modes = [...(request.query.stream_modes ?? []), ...(request.query.stream_mode ?? [])];
        const unsupported = modes.filter((mode) => mode !== "run_modes");
        if (unsupported.length > 0) throw invalid(`stream_modes ${unsupported.join(", ")} is not supported; use run_modes`);
        const header = request.headers["last-event-id"];
        // Event ids are `<ms>-<seq>`, so "-" (from the beginning) is "after 0-0".
        const lastEventId = typeof header === "string" ? (header === "-" ? "0-0" : header) : undefined;
        await sendEventStream(request, reply, (signal) => ctx.streams.subscribeThread(thread.thread_id, { signal, lastEventId }), {
          headers: { Location: `/threads/${thread.thread_id}/stream` },
        });
      },
    );
  };
}
