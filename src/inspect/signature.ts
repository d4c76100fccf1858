import { createHmac, timingSafeEqual } from "node:crypto";

/** Standard Webhooks allow this much clock difference either way. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type Verdict = "valid" | "invalid" | "unsigned";

export interface SignatureCheck {
  verdict: Verdict;
  /** Why a signature is invalid; absent when valid or unsigned. */
  reason?: string;
}

const SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Decodes a Standard Webhooks secret (`whsec_<base64>`; the prefix is optional, as in the
 * reference libraries). Throws with a message that never contains the secret itself.
 */
export function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) throw new Error("the secret must be whsec_ followed by base64");
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new Error("the secret must not be empty");
  return key;
}

/** Returns the `v1,<base64>` signature of one message. */
export function sign(key: Buffer, id: string, timestamp: string, body: Buffer): string {
  const mac = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

type HeaderValue = string | string[] | undefined;

function single(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value.join(" ") : value;
}

/**
 * Checks the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers (lower-case names)
 * against the raw body: any one of the space-separated `v1,` signatures matching makes it valid.
 */
export function checkSignature(
  key: Buffer,
  headers: Record<string, HeaderValue>,
  body: Buffer,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const id = single(headers["webhook-id"]);
  const timestamp = single(headers["webhook-timestamp"]);
  const signatures = single(headers["webhook-signature"]);
  if (id === undefined && timestamp === undefined && signatures === undefined) return { verdict: "unsigned" };
  if (!id) return { verdict: "invalid", reason: "missing webhook-id header" };
  if (!timestamp) return { verdict: "invalid", reason: "missing webhook-timestamp header" };
  if (!signatures) return { verdict: "invalid", reason: "missing webhook-signature header" };

  if (!/^\d+$/.test(timestamp)) return { verdict: "invalid", reason: "webhook-timestamp is not whole seconds" };
  const skew = Number(timestamp) - nowSeconds;
  if (Math.abs(skew) > TIMESTAMP_TOLERANCE_SECONDS) {
    const direction = skew < 0 ? "old" : "in the future";
    return { verdict: "invalid", reason: `timestamp is ${Math.abs(skew)}s ${direction} (limit ${TIMESTAMP_TOLERANCE_SECONDS}s)` };
  }

  const expected = Buffer.from(sign(key, id, timestamp, body));
  const matches = signatures.split(" ").some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { verdict: "valid" } : { verdict: "invalid", reason: "no v1 signature matches the body" };
}
