import type { FastifyInstance } from "fastify";
import type { InspectorContext } from "./context.js";

const HEARTBEAT_MS = 15_000;

/**
 * `GET /events`: Server-Sent Events. Each connection first gets a `snapshot` (all kept requests
 * and rules), then `request`, `responses` and `cleared` events as they happen, so a reconnecting
 * page never misses or duplicates anything.
 */
export function registerEvents(app: FastifyInstance, ctx: InspectorContext): void {
  app.get("/events", (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

    res.write("retry: 2000\n\n");
    send("snapshot", {
      requests: ctx.store.list(),
      responses: ctx.rules.list(),
      max_requests: ctx.store.capacity,
    });
    const unsubscribe = ctx.store.subscribe((event) => send(event.type, event));
    const heartbeat = setInterval(() => res.write(": ping\n\n"), HEARTBEAT_MS);

    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      ctx.closing.removeEventListener("abort", end);
      res.end();
    };
    request.raw.once("close", end);
    ctx.closing.addEventListener("abort", end);
  });
}
