import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { InvalidNamespaceError, type Item as StoreItem } from "@langchain/langgraph-checkpoint";
import type { HookgraphStore } from "../../storage/backend.js";
import { StoreRequestError } from "../../storage/domain/store.js";
import { invalid } from "../../errors.js";
import { acceptMissingBody } from "../error-handler.js";
import { errorResponses, JsonObject, Limit, NoContent, Nullable, Offset, TtlMinutes } from "../schemas/common.js";

const tags = ["Store"];
const Namespace = Type.Array(Type.String(), { description: "Labels; none may be empty or contain '.'" });

const Item = Type.Object({
  namespace: Type.Array(Type.String()),
  key: Type.String(),
  value: Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
  created_at: Type.String({ format: "date-time" }),
  updated_at: Type.String({ format: "date-time" }),
});

const SearchItem = Type.Object({ ...Item.properties, score: Nullable(Type.Number()) });

/** An item as the API returns it (`Item` schema): ISO timestamps. */
function storeItemToJson(item: StoreItem) {
  return {
    namespace: item.namespace,
    key: item.key,
    value: item.value,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
  };
}

/** Runs a store call, turning a bad namespace or filter into a 422 that names it. */
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
export function storeRoutes(store: HookgraphStore): FastifyPluginAsyncTypebox {
  return async (app) => {
    acceptMissingBody(app);

    app.put(
      "/store/items",
      {
        schema: {
          tags,
          body: Type.Object(
            {
              namespace: Namespace,
              key: Type.String({ minLength: 1 }),
              value: JsonObject,
              index: Type.Optional(Type.Union([Type.Literal(false), Type.Array(Type.String()), Type.Null()])),
              ttl: Type.Optional(Nullable(TtlMinutes("Minutes until the item expires; null: never"))),
            },
            { additionalProperties: false },
          ),
          response: { 204: NoContent, ...errorResponses(422) },
        },
      },
      async (request, reply) => {
        const { namespace, key, value, ttl } = request.body;
        await guarded(() => store.put(namespace, key, value, undefined, { ttl }));
        return reply.status(204).send(null);
      },
    );

    app.get(
      "/store/items",
      {
        schema: {
          tags,
          description: "One item; null when there is none. `namespace` is the labels joined with '.'.",
          querystring: Type.Object({
            namespace: Type.Optional(Type.String()),
            key: Type.String({ minLength: 1 }),
            refresh_ttl: Type.Optional(Type.Boolean()),
          }),
          response: { 200: Nullable(Item), ...errorResponses(422) },
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
      {
        schema: {
          tags,
          body: Type.Object({ namespace: Namespace, key: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
          response: { 204: NoContent, ...errorResponses(422) },
        },
      },
      async (request, reply) => {
        await guarded(() => store.delete(request.body.namespace, request.body.key));
        return reply.status(204).send(null);
      },
    );

    app.post(
      "/store/items/search",
      {
        schema: {
          tags,
          body: Type.Object(
            {
              namespace_prefix: Type.Optional(Namespace),
              filter: Type.Optional(JsonObject),
              limit: Type.Optional(Limit()),
              offset: Type.Optional(Offset),
              query: Type.Optional(Type.String()),
              refresh_ttl: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(SearchItem) }), ...errorResponses(422) },
        },
      },
      async (request) => {
        const { namespace_prefix = [], filter, limit = 10, offset = 0, query, refresh_ttl } = request.body;
        const items = await guarded(() => store.search(namespace_prefix, { filter, limit, offset, query, refreshTtl: refresh_ttl }));
        return { items: items.map((item) => ({ ...storeItemToJson(item), score: item.score ?? null })) };
      },
    );

    app.post(
      "/store/namespaces",
      {
        schema: {
          tags,
          body: Type.Object(
            {
              prefix: Type.Optional(Namespace),
              suffix: Type.Optional(Namespace),
              max_depth: Type.Optional(Type.Integer({ minimum: 1 })),
              limit: Type.Optional(Limit(1000, 100)),
              offset: Type.Optional(Offset),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ namespaces: Type.Array(Type.Array(Type.String())) }), ...errorResponses(422) },
        },
      },
      async (request) => {
        const { prefix, suffix, max_depth, limit = 100, offset = 0 } = request.body;
        const namespaces = await guarded(() => store.listNamespaces({ prefix, suffix, maxDepth: max_depth, limit, offset }));
        return { namespaces };
      },
    );
  };
}
