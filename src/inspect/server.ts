import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { registerApi } from "./api.js";
import type { InspectorContext } from "./context.js";
import { registerEvents } from "./events.js";
import { loadPage } from "./page.js";
import { registerReceiver, BODY_LIMIT_BYTES } from "./receiver.js";
import { ResponseRules, type ResponseRule } from "./responses.js";
import { decodeSecret } from "./signature.js";
import { RequestStore, type ReceivedRequest } from "./store.js";

export interface InspectorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 9999; 0 picks a free port. */
  port?: number;
  /** A Standard Webhooks secret (`whsec_<base64>`); without it signatures are not checked. */
  secret?: string;
  /** How many requests are kept; older ones are dropped. Default 1000. */
  maxRequests?: number;
  /** Initial per-path answers. */
  responses?: ResponseRule[];
  /** Called for every received hook (after it is stored, before it is answered). */
  onRequest?: (request: ReceivedRequest) => void;
}

export interface Inspector {
  /** Base URL, e.g. http://127.0.0.1:9999; the page is at `${url}/`. */
  url: string;
  port: number;
  /** A URL to configure as a webhook: `${url}/hooks/<name>?token=<random>`. */
  webhookUrl(name?: string): string;
  close(): Promise<void>;
}

export class InspectorStartError extends Error {
  override name = "InspectorStartError";
}

export const DEFAULT_PORT = 9999;
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_MAX_REQUESTS = 1000;

/** Routes the inspector keeps for itself; every other path is a webhook receiver. */
export const RESERVED_ROUTES = ["/", "/assets/*", "/events", "/api/*"] as const;

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}

/**
 * Guards the page and its API against other web sites: a foreign Origin (cross-site request) or,
 * when bound to loopback, a foreign Host (DNS rebinding) is refused. Hooks are not guarded.
 */
function sameSiteOnly(bindHost: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const host = request.headers.host ?? "";
    const hostname = host.replace(/:\d+$/, "");
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}`) {
      return reply.code(403).send({ error: "cross-origin requests to the inspector are refused" });
    }
    if (isLoopback(bindHost) && !isLoopback(hostname) && hostname !== bindHost) {
      return reply.code(403).send({ error: "unexpected Host header" });
    }
  };
}

export async function startInspector(options: InspectorOptions = {}): Promise<Inspector> {
  const host = options.host ?? DEFAULT_HOST;
  const requestedPort = options.port ?? DEFAULT_PORT;
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
  if (!Number.isInteger(maxRequests) || maxRequests < 1) {
    throw new InspectorStartError(`--max-requests must be a positive integer (got ${maxRequests})`);
  }
  let key: Buffer | null = null;
  if (options.secret !== undefined) {
    try {
      key = decodeSecret(options.secret);
    } catch (error) {
      throw new InspectorStartError(`--secret: ${(error as Error).message}`);
    }
  }

  const closing = new AbortController();
  const ctx: InspectorContext = {
    store: new RequestStore(maxRequests),
    rules: new ResponseRules(options.responses),
    key,
    closing: closing.signal,
    onRequest: options.onRequest,
  };
  const page = await loadPage();
  const token = randomBytes(12).toString("base64url");
  let url = "";
  const webhookUrl = (name = "default") => `${url}/hooks/${encodeURIComponent(name)}?token=${token}`;

  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 2048 },
    forceCloseConnections: true,
  });

  await app.register(async (own) => {
    own.addHook("onRequest", sameSiteOnly(host));
    own.get("/", async (_request, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(page.html({ webhookUrl: webhookUrl(), signing: key !== null, maxRequests })),
    );
    own.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
      const asset = page.assets.get(request.params.name);
      if (!asset) return reply.code(404).send({ error: "asset not found" });
      return reply.type(asset.type).header("cache-control", "no-cache").send(asset.body);
    });
    const reserved = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.code(404).send({ error: `reserved by the inspector (${RESERVED_ROUTES.join(", ")}); send hooks to another path` });
    own.all("/assets/*", reserved);
    // GET (and its automatic HEAD) serve the page and the stream; other methods are kept too.
    const otherMethods = own.supportedMethods.filter((method) => method !== "GET" && method !== "HEAD");
    for (const path of ["/", "/events"]) own.route({ method: otherMethods, url: path, handler: reserved });
    registerEvents(own, ctx);
    registerApi(own, ctx);
  });
  await registerReceiver(app, ctx);

  app.addHook("preClose", async () => closing.abort());
  try {
    await app.listen({ host, port: requestedPort });
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new InspectorStartError(`port ${requestedPort} on ${host} is already in use; choose another with --port`);
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : requestedPort;
  url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  return { url, port, webhookUrl, close: () => app.close() };
}
