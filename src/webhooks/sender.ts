import { Agent, request } from "undici";
import { VERSION } from "../version.js";
import { KeyedLimiter } from "./concurrency.js";
import type { WebhookSettings } from "./config.js";
import { guardedLookup, systemResolver, type Resolver } from "./dns-guard.js";
import { redactUrl } from "./redact.js";
import { readResponseSample } from "./response-reader.js";
import { classifyStatus, parseRetryAfter, type AttemptOutcome } from "./retry.js";
import { signatureHeader } from "./signer.js";
import { checkWebhookUrl } from "./url-policy.js";

export type WebhookSenderSettings = Pick<
  WebhookSettings,
  "urlPolicy" | "headers" | "signingSecrets" | "timeoutMs" | "connectTimeoutMs" | "maxConcurrencyPerOrigin" | "maxInFlight"
>;

export interface WebhookSenderOptions {
  /** Default: the system resolver (getaddrinfo). */
  resolver?: Resolver;
  /** Clock for `webhook-timestamp` and Retry-After dates. */
  now?: () => number;
}

/** One delivery attempt of one message. */
export interface WebhookRequest {
  /** Sent as given, query string included. */
  url: string;
  /** `webhook-id`: identical on every attempt of a message, the receiver's dedupe key. */
  messageId: string;
  /** JSON text, signed and sent byte for byte. */
  body: string;
  /** Aborts the attempt (server stopping); it then ends as a "retry" outcome. */
  signal?: AbortSignal;
}

export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode?: number;
  /** Why the attempt did not get a 2xx; never contains a URL query or secret. */
  error?: string;
  durationMs: number;
  responseExcerpt?: string;
  /** Decoded response bytes read (reading stops at 64 KiB). */
  responseBytes?: number;
  retryAfterSeconds?: number;
  /** Redirect target of a 3xx (not followed), query values redacted. */
  location?: string;
}

interface ErrnoLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The innermost error with a `code`, walking `cause` links. */
function errorCode(error: unknown): { code: string | undefined; message: string } {
  let current: unknown = error;
  let found: { code: string | undefined; message: string } = { code: undefined, message: String(error) };
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const e = current as ErrnoLike;
    if (typeof e.code === "string") found = { code: e.code, message: String(e.message) };
    else if (depth === 0) found.message = String(e.message);
    current = e.cause;
  }
  return found;
}

function describeNetworkError(error: unknown): { outcome: AttemptOutcome; error: string } {
  const { code, message } = errorCode(error);
  switch (code) {
    case "EWEBHOOKBLOCKED":
      return { outcome: "failed", error: `refused by the webhook URL policy: ${message}` };
    case "ECONNREFUSED":
      return { outcome: "retry", error: "connection refused (ECONNREFUSED)" };
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NODATA":
    case "EAI_NONAME":
      return { outcome: "retry", error: `DNS lookup failed (${code})` };
    case "UND_ERR_CONNECT_TIMEOUT":
      return { outcome: "retry", error: "connect timed out (UND_ERR_CONNECT_TIMEOUT)" };
    default:
      return { outcome: "retry", error: code ? `${message} (${code})` : message };
  }
}

/**
 * Sends webhook attempts: one POST per call, redirects not followed, every connection made
 * only to addresses the URL policy allows. Never throws for network problems.
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly limiter: KeyedLimiter;
  private readonly now: () => number;

  constructor(
    private readonly settings: WebhookSenderSettings,
    options: WebhookSenderOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.limiter = new KeyedLimiter(settings.maxConcurrencyPerOrigin, settings.maxInFlight);
    this.agent = new Agent({
      connect: {
        timeout: settings.connectTimeoutMs,
        lookup: guardedLookup(options.resolver ?? systemResolver, settings.urlPolicy),
      },
      connections: settings.maxConcurrencyPerOrigin,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
    });
  }

  /** Waits for a per-origin and a global slot, then makes one attempt. */
  async send(req: WebhookRequest): Promise<AttemptResult> {
    // Checked again at send time: the policy may be stricter than when the run was created,
    // and IP-literal hosts never reach the guarded lookup.
    const checked = checkWebhookUrl(req.url, this.settings.urlPolicy);
    if (!checked.ok) {
      return { outcome: "failed", error: `refused by the webhook URL policy: ${checked.reason}`, durationMs: 0 };
    }
    return this.limiter.run(checked.url.origin, () => this.attempt(checked.url, req));
  }

  private headersFor(req: WebhookRequest): Record<string, string> {
    const timestamp = Math.floor(this.now() / 1000);
    const headers: Record<string, string> = {
      ...this.settings.headers,
      "content-type": "application/json",
      "user-agent": `hookgraph/${VERSION}`,
      "webhook-id": req.messageId,
      "webhook-timestamp": String(timestamp),
    };
    if (this.settings.signingSecrets.length > 0) {
      headers["webhook-signature"] = signatureHeader(this.settings.signingSecrets, req.messageId, timestamp, req.body);
    }
    return headers;
  }

  private async attempt(url: URL, req: WebhookRequest): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.settings.timeoutMs);
    // A listener, not AbortSignal.any(): that costs a signal and its bookkeeping per attempt.
    const stop = () => deadline.abort();
    req.signal?.addEventListener("abort", stop, { once: true });
    try {
      const response = await request(url, {
        dispatcher: this.agent,
        method: "POST",
        headers: this.headersFor(req),
        body: req.body,
        signal: deadline.signal,
      });
      const header = (name: string): string | undefined => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const sample = await readResponseSample(response.body, header("content-encoding"));
      const outcome = classifyStatus(response.statusCode);
      const location = header("location");
      const retryAfterSeconds = parseRetryAfter(header("retry-after"), this.now());
      return {
        outcome,
        statusCode: response.statusCode,
        ...(outcome === "succeeded" ? {} : { error: `HTTP ${response.statusCode}` }),
        durationMs: elapsed(),
        responseExcerpt: sample.excerpt,
        responseBytes: sample.bytesRead,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
        ...(location !== undefined && response.statusCode >= 300 && response.statusCode < 400
          ? { location: redactUrl(location) }
          : {}),
      };
    } catch (error) {
      if (req.signal?.aborted) return { outcome: "retry", error: "aborted: the server is stopping", durationMs: elapsed() };
      if (deadline.signal.aborted) {
        return { outcome: "retry", error: `timed out after ${this.settings.timeoutMs} ms`, durationMs: elapsed() };
      }
      const described = describeNetworkError(error);
      // Some errors quote the target; the query may hold a token.
      const safe = described.error.split(req.url).join(redactUrl(req.url));
      return { outcome: described.outcome, error: safe, durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", stop);
    }
  }

  /** Waits for attempts in progress, then closes every connection. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}
