import { randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";
import type { ReceivedRequest } from "../../src/inspect/store.js";

/** A random-looking but fixed secret; any base64 works. */
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
export const OTHER_SECRET = "whsec_dGhpcyBpcyBhbm90aGVyIHNlY3JldCBrZXk=";

/** Standard Webhooks headers made by the reference library, the oracle for our checker. */
export function signedHeaders(body: string, options: { secret?: string; at?: Date; id?: string } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(options.secret ?? SECRET).sign(id, at, body),
  };
}

export async function listRequests(baseUrl: string, path?: string): Promise<ReceivedRequest[]> {
  const query = path === undefined ? "" : `?path=${encodeURIComponent(path)}`;
  const response = await fetch(`${baseUrl}/api/requests${query}`);
  if (!response.ok) throw new Error(`GET /api/requests answered ${response.status}`);
  return ((await response.json()) as { requests: ReceivedRequest[] }).requests;
}

export function header(request: ReceivedRequest, name: string): string | undefined {
  return request.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

export async function putRule(baseUrl: string, rule: Record<string, unknown>): Promise<Response> {
  return fetch(`${baseUrl}/api/responses`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(rule),
  });
}
