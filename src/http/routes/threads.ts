import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { randomUUID } from "node:crypto";
import type { ServerContext } from "../context.js";
import {
  HistoryBody,
  HistoryQuery,
  StateCheckpointBody,
  StateQuery,
  StateUpdate,
  Thread,
  ThreadCount,
  ThreadCreate,
  ThreadPatch,
  ThreadPrune,
  ThreadSearch,
} from "../schemas/threads.js";
import { JsonObject, ThreadIdParams } from "../schemas/common.js";
import { conflict, invalid, notFound } from "../../errors.js";
import type { JsonObject as JsonObjectValue, Thread as ThreadRecord } from "../../storage/types.js";
import { selectFields } from "../select.js";
import { sendEventStream } from "../sse.js";

type Ttl = number | { ttl: number; strategy?: "delete" } | undefined;
const ttlMinutes = (ttl: Ttl) => (ttl === undefined ? undefined : typeof ttl === "number" ? ttl : ttl.ttl);

/** `select: ["values.messages"]` style projection of a ThreadState. */
function selectState(state: JsonObjectValue, select: string | string[] | undefined): JsonObjectValue {
  if (select === undefined) return state;
  const fields = Array.isArray(select) ? select : [select];
  const picked: JsonObjectValue = {};
  for (const field of fields) {
    const [top, sub] = field.split(".", 2);
    const value = state[top];
    if (sub === undefined) picked[top] = value;
    else if (value && typeof value === "object" && !Array.isArray(value)) {
      picked[top] = { ...((picked[top] as JsonObjectValue | undefined) ?? {}), [sub]: (value as JsonObjectValue)[sub] };
    }
  }
  return picked;
}

/** Threads: CRUD, search, copy, prune, state and history, and the thread-level stream. */
export function threadRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  const requireThread = async (threadId: string): Promise<ThreadRecord> => {
    const thread = await ctx.storage.threads.get(threadId);
    if (!thread) throw notFound("thread", threadId);
    return thread;
  };
  const graphOf = (thread: ThreadRecord) => (typeof thread.metadata.graph_id === "string" ? thread.metadata.graph_id : undefined);
  const requireGraph = (thread: ThreadRecord) => {
    const graphId = graphOf(thread);
    if (!graphId) throw invalid(`thread ${thread.thread_id} has no graph yet: run it once, or create it with metadata.graph_id`);
    return graphId;
  };

  return async (app) => {
    app.post("/threads", { schema: { body: ThreadCreate, response: { 200: Thread } } }, async (request) => {
      const { thread_id, metadata, if_exists, ttl, supersteps } = request.body;
      const thread = await ctx.storage.threads.create({ thread_id, metadata, if_exists, ttl_minutes: ttlMinutes(ttl) });
      if (supersteps && supersteps.length > 0) {
        const graphId = requireGraph(thread);
        let state: JsonObjectValue | undefined;
        for (const step of supersteps) {
          for (const update of step.updates) {
            ({ state } = await ctx.states.update(thread.thread_id, graphId, {
              values: update.values,
              as_node: typeof update.as_node === "string" ? update.as_node : undefined,
            }));
          }
        }
        await ctx.storage.threads.setState(thread.thread_id, { values: state!.values ?? null, interrupts: {} });
        return (await ctx.storage.threads.get(thread.thread_id))!;
      }
      return thread;
    });

    app.post("/threads/search", { schema: { body: ThreadSearch } }, async (request) => {
      const { limit = 10, offset = 0, select, extract: _extract, ...filters } = request.body ?? {};
      return selectFields(await ctx.storage.threads.search({ ...filters, limit, offset }), select);
    });

    app.post("/threads/count", { schema: { body: ThreadCount } }, async (request) => ctx.storage.threads.count(request.body ?? {}));

    app.post("/threads/prune", { schema: { body: ThreadPrune } }, async (request) => {
      let pruned = 0;
      for (const threadId of request.body.thread_ids) {
        if (!(await ctx.storage.threads.get(threadId))) continue;
        if ((request.body.strategy ?? "delete") === "delete") {
          await deleteThread(threadId);
        } else {
          await ctx.states.keepLatest(threadId);
        }
        pruned += 1;
      }
      return { pruned_count: pruned };
    });

    const deleteThread = async (threadId: string) => {
      for (const runId of await ctx.storage.runs.findActive({ thread_id: threadId, status: "all" })) {
        await ctx.worker.cancel(runId, "interrupt");
      }
      const deleted = await ctx.storage.threads.delete(threadId);
      await ctx.states.delete(threadId);
      return deleted;
    };

    app.get("/threads/:thread_id", { schema: { params: ThreadIdParams, response: { 200: Thread } } }, async (request) =>
      requireThread(request.params.thread_id),
    );

    app.patch("/threads/:thread_id", { schema: { params: ThreadIdParams, body: ThreadPatch, response: { 200: Thread } } }, async (request) =>
      ctx.storage.threads.patch(request.params.thread_id, {
        metadata: request.body.metadata,
        ttl_minutes: ttlMinutes(request.body.ttl),
      }),
    );

    app.delete("/threads/:thread_id", { schema: { params: ThreadIdParams } }, async (request, reply) => {
      if (!(await deleteThread(request.params.thread_id))) throw notFound("thread", request.params.thread_id);
      return reply.status(204).send();
    });

    app.post("/threads/:thread_id/copy", { schema: { params: ThreadIdParams, response: { 200: Thread } } }, async (request) => {
      const source = await requireThread(request.params.thread_id);
      const copy = await ctx.storage.threads.create({ thread_id: randomUUID(), metadata: source.metadata });
      await ctx.states.copy(source.thread_id, copy.thread_id);
      await ctx.storage.threads.setState(copy.thread_id, { values: source.values, interrupts: source.interrupts, status: source.status === "busy" ? "idle" : source.status });
      return (await ctx.storage.threads.get(copy.thread_id))!;
    });

    app.get("/threads/:thread_id/state", { schema: { params: ThreadIdParams, querystring: StateQuery } }, async (request) => {
      const thread = await requireThread(request.params.thread_id);
      const state = await ctx.states.get(thread.thread_id, graphOf(thread), { subgraphs: request.query.subgraphs });
      return selectState(state, request.query.select);
    });

    app.get(
      "/threads/:thread_id/state/:checkpoint_id",
      { schema: { params: Type.Object({ thread_id: Type.String({ format: "uuid" }), checkpoint_id: Type.String() }), querystring: StateQuery } },
      async (request) => {
        const thread = await requireThread(request.params.thread_id);
        const state = await ctx.states.get(thread.thread_id, graphOf(thread), {
          checkpoint: { checkpoint_id: request.params.checkpoint_id },
          subgraphs: request.query.subgraphs,
        });
        return selectState(state, request.query.select);
      },
    );

    app.post("/threads/:thread_id/state/checkpoint", { schema: { params: ThreadIdParams, body: StateCheckpointBody } }, async (request) => {
      const thread = await requireThread(request.params.thread_id);
      const state = await ctx.states.get(thread.thread_id, graphOf(thread), {
        checkpoint: request.body.checkpoint,
        subgraphs: request.body.subgraphs,
      });
      return selectState(state, request.body.select);
    });

    app.post("/threads/:thread_id/state", { schema: { params: ThreadIdParams, body: StateUpdate } }, async (request) => {
      const thread = await requireThread(request.params.thread_id);
      const graphId = requireGraph(thread);
      if ((await ctx.storage.runs.inflight(thread.thread_id)).length > 0) {
        throw conflict(`thread ${thread.thread_id} is busy; its state cannot be updated while a run is pending or running`);
      }
      const checkpoint = request.body.checkpoint ?? (request.body.checkpoint_id ? { checkpoint_id: request.body.checkpoint_id } : undefined);
      const { checkpoint: written, state } = await ctx.states.update(thread.thread_id, graphId, {
        values: request.body.values,
        as_node: request.body.as_node,
        checkpoint,
      });
      const interrupted = Array.isArray(state.interrupts) && state.interrupts.length > 0;
      await ctx.storage.threads.setState(thread.thread_id, {
        values: state.values ?? null,
        interrupts: {},
        status: interrupted ? "interrupted" : "idle",
      });
      return { checkpoint: written };
    });

    app.patch(
      "/threads/:thread_id/state",
      { schema: { params: ThreadIdParams, body: Type.Object({ metadata: JsonObject }, { additionalProperties: false }) } },
      async (request, reply) => {
        const thread = await requireThread(request.params.thread_id);
        await ctx.states.patchMetadata(thread.thread_id, request.body.metadata);
        return reply.status(204).send();
      },
    );

    app.post("/threads/:thread_id/history", { schema: { params: ThreadIdParams, body: HistoryBody } }, async (request) => {
      const thread = await requireThread(request.params.thread_id);
      const { limit = 10, before, metadata, checkpoint, select } = request.body ?? {};
      const states = await ctx.states.history(thread.thread_id, graphOf(thread), { limit, before, metadata, checkpoint });
      return select ? states.map((state) => selectState(state, select)) : states;
    });

    app.get("/threads/:thread_id/history", { schema: { params: ThreadIdParams, querystring: HistoryQuery } }, async (request) => {
      const thread = await requireThread(request.params.thread_id);
      return ctx.states.history(thread.thread_id, graphOf(thread), { limit: request.query.limit ?? 10, before: request.query.before });
    });

    app.get("/threads/:thread_id/stream", { schema: { params: ThreadIdParams } }, async (request, reply) => {
      const thread = await requireThread(request.params.thread_id);
      const lastEventId = request.headers["last-event-id"];
      await sendEventStream(
        request,
        reply,
        (signal) =>
          ctx.streams.subscribeThread(thread.thread_id, { signal, lastEventId: typeof lastEventId === "string" ? lastEventId : undefined }),
        { headers: { Location: `/threads/${thread.thread_id}/stream` } },
      );
    });
  };
}
