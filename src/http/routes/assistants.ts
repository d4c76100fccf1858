import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import {
  Assistant,
  AssistantCount,
  AssistantCreate,
  AssistantDeleteQuery,
  AssistantList,
  AssistantPatch,
  AssistantSearch,
  AssistantVersionList,
  AssistantVersionsSearch,
  GraphDrawing,
  GraphSchemas,
  SetLatest,
  Subgraphs,
  SubgraphsQuery,
  XrayQuery,
} from "../schemas/assistants.js";
import { errorResponses, NoContent } from "../schemas/common.js";
import { resolveAssistant } from "../../runs/create-run.js";
import { invalid } from "../../errors.js";
import { acceptMissingBody } from "../error-handler.js";
import { selectFields } from "../select.js";
import { deleteThreadEverywhere } from "../../threads/delete-thread.js";

const tags = ["Assistants"];
const AssistantParams = Type.Object({ assistant_id: Type.String({ minLength: 1, description: "An assistant id, or a graph id for its system assistant" }) });

/** Assistants: versioned configurations of a graph. `assistant_id` may also be a graph id. */
export function assistantRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  const requireGraph = (graphId: string) => {
    if (!ctx.graphs.has(graphId)) throw invalid(`graph_id "${graphId}" is not a graph of langgraph.json`);
  };

  return async (app) => {
    acceptMissingBody(app);

    app.post("/assistants", { schema: { tags, body: AssistantCreate, response: { 200: Assistant, ...errorResponses(409, 422) } } }, async (request) => {
      requireGraph(request.body.graph_id);
      return ctx.storage.assistants.create(request.body);
    });

    app.post(
      "/assistants/search",
      { schema: { tags, body: AssistantSearch, response: { 200: AssistantList, ...errorResponses(422) } } },
      async (request, reply) => {
        const { limit = 10, offset = 0, select, ...filters } = request.body;
        // One row more than asked tells whether a next page exists (the SDK reads X-Pagination-Next).
        const found = await ctx.storage.assistants.search({ ...filters, limit: limit + 1, offset });
        if (found.length > limit) reply.header("X-Pagination-Next", String(offset + limit));
        return selectFields(found.slice(0, limit), select);
      },
    );

    app.post(
      "/assistants/count",
      { schema: { tags, body: AssistantCount, response: { 200: Type.Integer(), ...errorResponses(422) } } },
      async (request) => ctx.storage.assistants.count(request.body),
    );

    app.get(
      "/assistants/:assistant_id",
      { schema: { tags, params: AssistantParams, response: { 200: Assistant, ...errorResponses(404, 422) } } },
      async (request) => resolveAssistant(ctx.storage, request.params.assistant_id),
    );

    app.patch(
      "/assistants/:assistant_id",
      { schema: { tags, params: AssistantParams, body: AssistantPatch, response: { 200: Assistant, ...errorResponses(404, 422) } } },
      async (request) => {
        if (request.body.graph_id !== undefined) requireGraph(request.body.graph_id);
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.storage.assistants.patch(assistant.assistant_id, request.body);
      },
    );

    app.delete(
      "/assistants/:assistant_id",
      { schema: { tags, params: AssistantParams, querystring: AssistantDeleteQuery, response: { 204: NoContent, ...errorResponses(404, 422) } } },
      async (request, reply) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        if (request.query.delete_threads) {
          // The threads it last ran on carry its id in their metadata (set by every run).
          for (;;) {
            const threads = await ctx.storage.threads.search({ metadata: { assistant_id: assistant.assistant_id }, limit: 100, offset: 0 });
            if (threads.length === 0) break;
            for (const thread of threads) await deleteThreadEverywhere(ctx, thread.thread_id);
          }
        }
        await ctx.storage.assistants.delete(assistant.assistant_id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      "/assistants/:assistant_id/graph",
      { schema: { tags, params: AssistantParams, querystring: XrayQuery, response: { 200: GraphDrawing, ...errorResponses(404, 422) } } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.graphs.drawing(assistant.graph_id, assistant.config, request.query.xray ?? false);
      },
    );

    app.get(
      "/assistants/:assistant_id/schemas",
      { schema: { tags, params: AssistantParams, response: { 200: GraphSchemas, ...errorResponses(404, 422) } } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.graphs.schemas(assistant.graph_id, assistant.config);
      },
    );

    app.get(
      "/assistants/:assistant_id/subgraphs",
      { schema: { tags, params: AssistantParams, querystring: SubgraphsQuery, response: { 200: Subgraphs, ...errorResponses(404, 422) } } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.graphs.subgraphs(assistant.graph_id, assistant.config, undefined, request.query.recurse ?? false);
      },
    );

    app.get(
      "/assistants/:assistant_id/subgraphs/:namespace",
      {
        schema: {
          tags,
          params: Type.Object({ assistant_id: AssistantParams.properties.assistant_id, namespace: Type.String({ minLength: 1 }) }),
          querystring: SubgraphsQuery,
          response: { 200: Subgraphs, ...errorResponses(404, 422) },
        },
      },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.graphs.subgraphs(assistant.graph_id, assistant.config, request.params.namespace, request.query.recurse ?? false);
      },
    );

    app.post(
      "/assistants/:assistant_id/versions",
      { schema: { tags, params: AssistantParams, body: AssistantVersionsSearch, response: { 200: AssistantVersionList, ...errorResponses(404, 422) } } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        const { limit = 10, offset = 0, metadata } = request.body;
        return ctx.storage.assistants.versions(assistant.assistant_id, { limit, offset, metadata });
      },
    );

    app.post(
      "/assistants/:assistant_id/latest",
      { schema: { tags, params: AssistantParams, body: SetLatest, response: { 200: Assistant, ...errorResponses(404, 422) } } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.storage.assistants.setLatest(assistant.assistant_id, request.body.version);
      },
    );
  };
}
