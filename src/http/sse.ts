import type { FastifyReply, FastifyRequest } from "fastify";
import type { StreamEvent } from "../bus/bus.js";

/** How often an idle stream gets a comment line, so clients and proxies know it is alive (as the Python server). */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/** The heartbeat comment, framed as sse-starlette frames it. */
export const HEARTBEAT = ": heartbeat\r\n\r\n";

export interface SseOptions {
  /** Extra response headers (Location, Content-Location). */
  headers?: Record<string, string>;
  /** Called once when the client goes away before the stream ended. */
  onClientGone?: () => void;
  /** Heartbeat interval (default `HEARTBEAT_INTERVAL_MS`). */
  heartbeatMs?: number;
}

/** Line breaks in a field would end it early; the Python server strips them too. */
const field = (value: string) => value.replace(/[\r\n]/g, "");

/** `event:`, `data:`, `id:` lines ended by CRLF, then a blank line: the Python server's framing. */
export function frame(event: StreamEvent): string {
  return `event: ${field(event.event)}\r\ndata: ${event.data}\r\nid: ${field(event.id)}\r\n\r\n`;
}

/**
 * Watches for the client leaving before the answer is complete: `signal` aborts and
 * `onClientGone` runs, once. After `finish()`, the connection closing is no longer a departure.
 */
function watchClient(res: FastifyReply["raw"], onClientGone?: () => void): { signal: AbortSignal; finish(): void } {
  const gone = new AbortController();
  let finished = false;
  const onClose = () => {
    if (finished) return;
    gone.abort();
    onClientGone?.();
  };
  res.once("close", onClose);
  return {
    signal: gone.signal,
    finish() {
      finished = true;
      res.off("close", onClose);
    },
  };
}

/**
 * Writes `events` as Server-Sent Events, framed as the official Python server frames them.
 * Honours back-pressure, sends heartbeats while idle and stops reading when the client goes.
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
  const client = watchClient(res, options.onClientGone);
  const heartbeat = setInterval(() => {
    if (!res.writableEnded) res.write(HEARTBEAT);
  }, options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
  try {
    for await (const event of events(client.signal)) {
      if (client.signal.aborted) break;
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
    client.finish();
    clearInterval(heartbeat);
    if (!res.writableEnded) res.end();
  }
}

/**
 * A JSON answer that may take long (`wait`, `join`). Answered in one piece when it comes within
 * the heartbeat interval; otherwise the headers go out then and a newline each interval keeps
 * proxies from timing the request out (JSON parsers skip leading whitespace), as the Python
 * server does. `onClientGone` runs when the client leaves before the answer.
 */
export async function sendDelayedJson(
  reply: FastifyReply,
  answer: (signal: AbortSignal) => Promise<unknown>,
  options: SseOptions = {},
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  const head = () => {
    if (!res.headersSent) res.writeHead(200, { "Content-Type": "application/json", ...options.headers });
  };
  const client = watchClient(res, options.onClientGone);
  const keepAlive = setInterval(() => {
    head();
    if (!res.writableEnded) res.write("\n");
  }, options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
  try {
    const body = await answer(client.signal);
    client.finish();
    head();
    if (!res.writableEnded) res.end(JSON.stringify(body ?? {}));
  } catch {
    // The only honest signal left once the headers may be out: closing the connection without a body.
    client.finish();
    res.destroy();
  } finally {
    clearInterval(keepAlive);
  }
}
