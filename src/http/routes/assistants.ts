import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ServerContext } from "../context.js";
import { Assistant, AssistantCount, AssistantCreate, AssistantPatch, AssistantSearch, AssistantVersionsSearch } from "../schemas/assistants.js";
import { resolveAssistant } from "../../runs/create-run.js";
import { invalid } from "../../errors.js";
import { selectFields } from "../select.js";

const AssistantParams = Type.Object({ assistant_id: Type.String({ minLength: 1 }) });

/** Assistants: versioned configurations of a graph. `assistant_id` may also be a graph id. */
export function assistantRoutes(ctx: ServerContext): FastifyPluginAsyncTypebox {
  const requireGraph = (graphId: string) => {
    if (!ctx.graphs.has(graphId)) throw invalid(`graph_id "${graphId}" is not a graph of langgraph.json`);
  };

  return async (app) => {
    app.post("/assistants", { schema: { body: AssistantCreate, response: { 200: Assistant } } }, async (request) => {
      requireGraph(request.body.graph_id);
      return ctx.storage.assistants.create(request.body);
    });

    app.post("/assistants/search", { schema: { body: AssistantSearch } }, async (request) => {
      const { limit = 10, offset = 0, select, ...filters } = request.body;
      return selectFields(await ctx.storage.assistants.search({ ...filters, limit, offset }), select);
    });

    app.post("/assistants/count", { schema: { body: AssistantCount } }, async (request) =>
      ctx.storage.assistants.count(request.body),
    );

    app.get("/assistants/:assistant_id", { schema: { params: AssistantParams, response: { 200: Assistant } } }, async (request) =>
      resolveAssistant(ctx.storage, request.params.assistant_id),
    );

    app.patch(
      "/assistants/:assistant_id",
      { schema: { params: AssistantParams, body: AssistantPatch, response: { 200: Assistant } } },
      async (request) => {
        if (request.body.graph_id !== undefined) requireGraph(request.body.graph_id);
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.storage.assistants.patch(assistant.assistant_id, request.body);
      },
    );

    app.delete("/assistants/:assistant_id", { schema: { params: AssistantParams } }, async (request, reply) => {
      const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
      await ctx.storage.assistants.delete(assistant.assistant_id);
      return reply.status(204).send();
    });

    app.get(
      "/assistants/:assistant_id/graph",
      { schema: { params: AssistantParams, querystring: Type.Object({ xray: Type.Optional(Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 })])) }) } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.graphs.drawing(assistant.graph_id, assistant.config, request.query.xray ?? false);
      },
    );

    app.get("/assistants/:assistant_id/schemas", { schema: { params: AssistantParams } }, async (request) => {
      const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
      return ctx.graphs.schemas(assistant.graph_id, assistant.config);
    });

    const subgraphsQuery = Type.Object({ recurse: Type.Optional(Type.Boolean()) });
    app.get("/assistants/:assistant_id/subgraphs", { schema: { params: AssistantParams, querystring: subgraphsQuery } }, async (request) => {
      const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
      return ctx.graphs.subgraphs(assistant.graph_id, assistant.config, undefined, request.query.recurse ?? false);
    });

    app.get(
      "/assistants/:assistant_id/subgraphs/:namespace",
      { schema: { params: Type.Object({ assistant_id: Type.String(), namespace: Type.String() }), querystring: subgraphsQuery } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.graphs.subgraphs(assistant.graph_id, assistant.config, request.params.namespace, request.query.recurse ?? false);
      },
    );

    app.post("/assistants/:assistant_id/versions", { schema: { params: AssistantParams, body: AssistantVersionsSearch } }, async (request) => {
      const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
      const { limit = 10, offset = 0, metadata } = request.body ?? {};
      return ctx.storage.assistants.versions(assistant.assistant_id, { limit, offset, metadata });
    });

    app.post(
      "/assistants/:assistant_id/latest",
      { schema: { params: AssistantParams, body: Type.Object({ version: Type.Integer({ minimum: 1 }) }), response: { 200: Assistant } } },
      async (request) => {
        const assistant = await resolveAssistant(ctx.storage, request.params.assistant_id);
        return ctx.storage.assistants.setLatest(assistant.assistant_id, request.body.version);
      },
    );
  };
}
