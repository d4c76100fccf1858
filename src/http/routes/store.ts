import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { InvalidNamespaceError } from "@langchain/langgraph-checkpoint";
import type { SqliteStore } from "../../runtime/store.js";
import { StoreRequestError, storeItemToJson } from "../../runtime/store.js";
import { invalid } from "../../errors.js";
import { JsonObject } from "../schemas/common.js";

const Namespace = Type.Array(Type.String());

/** Runs a store call, turning a bad namespace into a 422 that names it. */
async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof InvalidNamespaceError) throw invalid(`namespace: ${error.message}`);
    if (error instanceof StoreRequestError) throw invalid(error.message);
    throw error;
  }
}

/** The long-term memory store, the same one graphs see as `store`. */
export function storeRoutes(store: SqliteStore): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.put(
      "/store/items",
      {
        schema: {
          body: Type.Object(
            {
              namespace: Namespace,
              key: Type.String({ minLength: 1 }),
              value: JsonObject,
              index: Type.Optional(Type.Union([Type.Literal(false), Type.Array(Type.String()), Type.Null()])),
              ttl: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()])),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => {
        const { namespace, key, value, ttl } = request.body;
        await guarded(() => store.put(namespace, key, value, undefined, { ttl }));
        return reply.status(204).send();
      },
    );

    app.get(
      "/store/items",
      {
        schema: {
          querystring: Type.Object({
            namespace: Type.Optional(Type.String()),
            key: Type.String({ minLength: 1 }),
            refresh_ttl: Type.Optional(Type.Boolean()),
          }),
        },
      },
      async (request) => {
        const namespace = request.query.namespace ? request.query.namespace.split(".") : [];
        const item = await guarded(() => store.get(namespace, request.query.key, { refreshTtl: request.query.refresh_ttl }));
        return item ? storeItemToJson(item) : null;
      },
    );

    app.delete(
      "/store/items",
      { schema: { body: Type.Object({ namespace: Namespace, key: Type.String({ minLength: 1 }) }, { additionalProperties: false }) } },
      async (request, reply) => {
        await guarded(() => store.delete(request.body.namespace, request.body.key));
        return reply.status(204).send();
      },
    );

    app.post(
      "/store/items/search",
      {
        schema: {
          body: Type.Object(
            {
              namespace_prefix: Type.Optional(Namespace),
              filter: Type.Optional(JsonObject),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              offset: Type.Optional(Type.Integer({ minimum: 0 })),
              query: Type.Optional(Type.String()),
              refresh_ttl: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { namespace_prefix = [], filter, limit = 10, offset = 0, query, refresh_ttl } = request.body ?? {};
        const items = await guarded(() => store.search(namespace_prefix, { filter, limit, offset, query, refreshTtl: refresh_ttl }));
        return { items: items.map((item) => ({ ...storeItemToJson(item), score: item.score ?? null })) };
      },
    );

    app.post(
      "/store/namespaces",
      {
        schema: {
          body: Type.Object(
            {
              prefix: Type.Optional(Namespace),
              suffix: Type.Optional(Namespace),
              max_depth: Type.Optional(Type.Integer({ minimum: 1 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
              offset: Type.Optional(Type.Integer({ minimum: 0 })),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { prefix, suffix, max_depth, limit = 100, offset = 0 } = request.body ?? {};
        const namespaces = await guarded(() => store.listNamespaces({ prefix, suffix, maxDepth: max_depth, limit, offset }));
        return { namespaces };
      },
    );
  };
}
