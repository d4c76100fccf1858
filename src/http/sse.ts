import type { FastifyReply, FastifyRequest } from "fastify";
import type { StreamEvent } from "../bus/run-streams.js";

/** Comment lines sent on an idle stream so clients and proxies know it is alive. */
export const HEARTBEAT_INTERVAL_MS = 10_000;

export interface SseOptions {
  /** Extra response headers (Location, Content-Location). */
  headers?: Record<string, string>;
  /** Called once when the client goes away before the stream ended. */
  onClientGone?: () => void;
}

function frame(event: StreamEvent): string {
  return `event: ${event.event}\ndata: ${event.data}\nid: ${event.id}\n\n`;
}

/**
 * Writes `events` as Server-Sent Events, framed as the official Python server frames them
 * (`event:`, `data:`, `id:` lines). Honours back-pressure and stops reading when the client goes.
 */
export async function sendEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  events: (signal: AbortSignal) => AsyncIterable<StreamEvent>,
  options: SseOptions = {},
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
    ...options.headers,
  });
  res.flushHeaders();
  const gone = new AbortController();
  let finished = false;
  const onClose = () => {
    if (finished) return;
    gone.abort();
    options.onClientGone?.();
  };
  res.once("close", onClose);
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_INTERVAL_MS);
  try {
    for await (const event of events(gone.signal)) {
      if (gone.signal.aborted) break;
      if (!res.write(frame(event))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.once("drain", done);
          res.once("close", done);
        });
      }
    }
  } catch (error) {
    request.log.error({ err: error }, "event stream failed");
  } finally {
    finished = true;
    clearInterval(heartbeat);
    res.off("close", onClose);
    if (!res.writableEnded) res.end();
  }
}
