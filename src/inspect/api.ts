import type { FastifyInstance, FastifyReply } from "fastify";
import type { InspectorContext } from "./context.js";
import { replay } from "./replay.js";
import { RuleError, validateRule } from "./responses.js";

function notFound(reply: FastifyReply, what: string) {
  return reply.code(404).send({ error: `${what} not found` });
}

function asObject(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The JSON API under /api/ used by the page, by tests and by scripts. */
export function registerApi(app: FastifyInstance, ctx: InspectorContext): void {
  const { store, rules } = ctx;
  const rulesChanged = () => store.emit({ type: "responses", responses: rules.list() });

  app.get<{ Querystring: { path?: string } }>("/api/requests", async (request) => ({
    requests: store.list(request.query.path),
    max_requests: store.capacity,
  }));

  app.get<{ Params: { id: string } }>("/api/requests/:id", async (request, reply) => {
    return store.get(Number(request.params.id)) ?? notFound(reply, "request");
  });

  app.delete("/api/requests", async (_request, reply) => {
    store.clear();
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>("/api/requests/:id/replay", async (request, reply) => {
    const stored = store.get(Number(request.params.id));
    if (!stored) return notFound(reply, "request");
    const { url } = asObject(request.body);
    let target: URL;
    try {
      target = new URL(String(url));
    } catch {
      return reply.code(400).send({ error: "url must be an absolute http(s) URL" });
    }
    if (target.protocol !== "http:" && target.protocol !== "https:") {
      return reply.code(400).send({ error: "url must be an absolute http(s) URL" });
    }
    try {
      return { status: await replay(stored, target) };
    } catch (error) {
      // The cause names the failure (refused, timeout) without echoing the URL's query.
      const cause = (error as Error & { cause?: Error }).cause;
      return reply.code(502).send({ error: `replay failed: ${cause?.message ?? (error as Error).message}` });
    }
  });

  app.get("/api/responses", async () => ({ responses: rules.list() }));

  app.put("/api/responses", async (request, reply) => {
    try {
      const state = rules.set(validateRule(asObject(request.body)));
      rulesChanged();
      return state;
    } catch (error) {
      if (error instanceof RuleError) return reply.code(400).send({ error: error.message });
      throw error;
    }
  });

  app.delete<{ Querystring: { path?: string } }>("/api/responses", async (request, reply) => {
    if (!rules.delete(String(request.query.path))) return notFound(reply, "response rule");
    rulesChanged();
    return reply.code(204).send();
  });

  // Everything else under /api/ stays the inspector's, never a received hook.
  app.all("/api/*", async (_request, reply) => notFound(reply, "inspector API route"));
}
