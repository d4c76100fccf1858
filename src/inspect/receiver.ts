import { isUtf8 } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { InspectorContext } from "./context.js";
import { checkSignature } from "./signature.js";

/** Largest body accepted from a webhook sender. */
export const BODY_LIMIT_BYTES = 5 * 1024 * 1024;

function rawHeaderPairs(request: FastifyRequest): Array<[string, string]> {
  const raw = request.raw.rawHeaders;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
  return pairs;
}

/** Accepts any method on any path not claimed by the inspector's own routes. */
export async function registerReceiver(app: FastifyInstance, ctx: InspectorContext): Promise<void> {
  await app.register(async (scope) => {
    // Signatures cover the exact bytes, so every body is kept raw whatever its content-type claims.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    scope.addHook("onRequest", async (request) => {
      // An empty or malformed content-type would otherwise be refused with 415 before parsing.
      if (request.raw.headers["content-type"] !== undefined) {
        request.raw.headers["content-type"] = "application/octet-stream";
      }
    });

    scope.all("/*", async (request, reply) => {
      const queryAt = request.url.indexOf("?");
      const path = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
      const query = queryAt === -1 ? "" : request.url.slice(queryAt + 1);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const utf8 = isUtf8(body);
      const ruled = ctx.rules.has(path);
      const answer = ctx.rules.next(path);

      const stored = ctx.store.add({
        received_at: new Date().toISOString(),
        method: request.method,
        path,
        query,
        headers: rawHeaderPairs(request),
        body: body.toString(utf8 ? "utf8" : "base64"),
        body_encoding: utf8 ? "utf8" : "base64",
        size: body.length,
        signature: ctx.key ? checkSignature(ctx.key, request.headers, body) : null,
        response: answer,
      });
      if (ruled) ctx.store.emit({ type: "responses", responses: ctx.rules.list() });
      ctx.onRequest?.(stored);

      if (answer.delay_ms > 0) {
        await sleep(answer.delay_ms, undefined, { signal: ctx.closing }).catch(() => undefined);
      }
      const success = answer.status >= 200 && answer.status < 300;
      if (answer.retry_after !== null && !success) reply.header("retry-after", String(answer.retry_after));
      return reply.code(answer.status).send({ id: stored.id });
    });
  });
}
