import type { ReceivedRequest } from "./store.js";

/** Headers that describe one connection (RFC 9110 §7.6.1) or that fetch sets itself. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "expect",
]);

export const REPLAY_TIMEOUT_MS = 30_000;

export function replayHeaders(request: ReceivedRequest): Headers {
  const named = new Set(
    request.headers
      .filter(([name]) => name.toLowerCase() === "connection")
      .flatMap(([, value]) => value.split(",").map((token) => token.trim().toLowerCase())),
  );
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    if (!NOT_FORWARDED.has(lower) && !named.has(lower)) headers.append(name, value);
  }
  return headers;
}

/** Sends a stored request again to `target`; resolves with the target's status. */
export async function replay(request: ReceivedRequest, target: URL): Promise<number> {
  const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.size > 0;
  const response = await fetch(target, {
    method: request.method,
    headers: replayHeaders(request),
    body: hasBody ? Buffer.from(request.body, request.body_encoding) : undefined,
    redirect: "manual",
    signal: AbortSignal.timeout(REPLAY_TIMEOUT_MS),
  });
  await response.body?.cancel();
  return response.status;
}
