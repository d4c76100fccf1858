import { createHmac } from "node:crypto";

const WHSEC_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Turns a configured secret into HMAC key bytes, as the `standardwebhooks` package does:
 * `whsec_<base64>` is the base64-decoded key (receivers: `new Webhook(secret)`); any other
 * string is its own bytes (receivers: `new Webhook(secret, { format: "raw" })`). That package
 * maps a raw string to bytes one char code each, so only printable ASCII keeps both sides equal.
 * Throws an Error naming the rule (never quoting the secret).
 */
export function parseSigningSecret(secret: string): Buffer {
  if (secret.startsWith(WHSEC_PREFIX)) {
    const encoded = secret.slice(WHSEC_PREFIX.length);
    if (!BASE64.test(encoded) || encoded.replace(/=+$/, "").length % 4 === 1) {
      throw new Error("a secret starting with whsec_ must continue with standard base64");
    }
    const key = Buffer.from(encoded, "base64");
    if (key.length === 0) throw new Error("a whsec_ secret must not be empty");
    return key;
  }
  if (secret.length === 0) throw new Error("a signing secret must not be empty");
  if (!PRINTABLE_ASCII.test(secret)) {
    throw new Error("a raw signing secret must be printable ASCII (use whsec_<base64> for arbitrary bytes)");
  }
  return Buffer.from(secret, "utf8");
}

/**
 * Standard Webhooks v1 `webhook-signature` value: one `v1,<base64 HMAC-SHA256>` per secret over
 * `${id}.${timestamp}.${body}`, space-separated so receivers holding any one key verify
 * during a rotation.
 */
export function signatureHeader(secrets: readonly Buffer[], id: string, timestampSeconds: number, body: string): string {
  const signed = `${id}.${timestampSeconds}.${body}`;
  return secrets.map((key) => `v1,${createHmac("sha256", key).update(signed, "utf8").digest("base64")}`).join(" ");
}
