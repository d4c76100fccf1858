import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { CorsPolicy } from "../config/cors.js";

function allows(policy: CorsPolicy, origin: string): boolean {
  return policy.anyOrigin || policy.origins.has(origin) || (policy.originPattern?.test(origin) ?? false);
}

/** Headers every answer to an allowed origin carries. Credentials rule out "*": the origin is echoed. */
function originHeaders(policy: CorsPolicy, origin: string): Record<string, string> {
  const echo = !policy.anyOrigin || policy.credentials;
  return {
    "Access-Control-Allow-Origin": echo ? origin : "*",
    ...(echo ? { Vary: "Origin" } : {}),
    ...(policy.credentials ? { "Access-Control-Allow-Credentials": "true" } : {}),
  };
}

function preflight(policy: CorsPolicy, request: FastifyRequest, reply: FastifyReply) {
  const origin = request.headers.origin;
  if (!origin || !allows(policy, origin)) return reply.status(400).send({ detail: "Disallowed CORS origin" });
  const asked = request.headers["access-control-request-headers"];
  const headers = policy.headers?.join(", ") ?? (typeof asked === "string" ? asked : "");
  void reply
    .headers({
      ...originHeaders(policy, origin),
      Vary: "Origin, Access-Control-Request-Headers",
      "Access-Control-Allow-Methods": policy.methods.join(", "),
      ...(headers ? { "Access-Control-Allow-Headers": headers } : {}),
      ...(policy.maxAgeSeconds !== undefined ? { "Access-Control-Max-Age": String(policy.maxAgeSeconds) } : {}),
      // Chrome asks before a public page (LangGraph Studio) may call a server on this machine.
      ...(request.headers["access-control-request-private-network"] === "true" ? { "Access-Control-Allow-Private-Network": "true" } : {}),
    })
    .status(204)
    .send();
}

/**
 * Answers CORS preflights and marks responses to allowed origins. The headers go on the raw
 * response in onRequest, so event streams and long waits, which write their own head, carry them too.
 */
export function installCors(app: FastifyInstance, policy: CorsPolicy): void {
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || request.method === "OPTIONS" || !allows(policy, origin)) return;
    for (const [name, value] of Object.entries(originHeaders(policy, origin))) reply.raw.setHeader(name, value);
    reply.raw.setHeader("Access-Control-Expose-Headers", policy.exposeHeaders.join(", "));
  });
  app.options("/*", { schema: { hide: true } }, (request, reply) => preflight(policy, request, reply));
}
