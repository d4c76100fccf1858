import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { parseSigningSecret, signatureHeader } from "../../src/webhooks/signer.js";

const body = JSON.stringify({ run_id: "r1", status: "success", values: { text: "héllo ✓" } });
const now = () => Math.floor(Date.now() / 1000);

function headers(id: string, timestamp: number, signature: string) {
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature };
}

describe("signatureHeader (checked with the standardwebhooks package)", () => {
  it("verifies with one whsec_ secret", () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const ts = now();
    const signature = signatureHeader([parseSigningSecret(secret)], "msg_1", ts, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers("msg_1", ts, signature))).toEqual(JSON.parse(body));
  });

  it("signs with every secret during a rotation; each one verifies", () => {
    const oldSecret = `whsec_${randomBytes(24).toString("base64")}`;
    const newSecret = `whsec_${randomBytes(24).toString("base64")}`;
    const ts = now();
    const signature = signatureHeader([newSecret, oldSecret].map(parseSigningSecret), "msg_2", ts, body);
    expect(signature.split(" ")).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers("msg_2", ts, signature))).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers("msg_2", ts, signature))).not.toThrow();
    const stranger = `whsec_${randomBytes(24).toString("base64")}`;
    expect(() => new Webhook(stranger).verify(body, headers("msg_2", ts, signature))).toThrow(/No matching signature/);
  });

  it("binds id, timestamp and body", () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const ts = now();
    const signature = signatureHeader([parseSigningSecret(secret)], "msg_3", ts, body);
    const wh = new Webhook(secret);
    expect(() => wh.verify(`${body} `, headers("msg_3", ts, signature))).toThrow();
    expect(() => wh.verify(body, headers("msg_4", ts, signature))).toThrow();
    expect(() => wh.verify(body, headers("msg_3", ts - 1, signature))).toThrow();
  });

  it("a raw (non-whsec) secret is its own bytes: verifies with format raw", () => {
    const raw = "my-plain-shared-secret";
    const ts = now();
    const signature = signatureHeader([parseSigningSecret(raw)], "msg_5", ts, body);
    expect(() => new Webhook(raw, { format: "raw" }).verify(body, headers("msg_5", ts, signature))).not.toThrow();
  });
});

describe("parseSigningSecret", () => {
  it("decodes whsec_ base64, padded or not", () => {
    expect(parseSigningSecret("whsec_c2VjcmV0MQ==").toString()).toBe("secret1");
    expect(parseSigningSecret("whsec_c2VjcmV0MQ").toString()).toBe("secret1");
  });

  it.each([
    ["whsec_", /must continue with standard base64/],
    ["whsec_ab$c", /must continue with standard base64/],
    ["whsec_abcde", /must continue with standard base64/],
    ["", /must not be empty/],
    ["sécret", /printable ASCII/],
    ["tab\tsecret", /printable ASCII/],
  ])("rejects %j", (secret, expected) => {
    expect(() => parseSigningSecret(secret)).toThrow(expected);
  });
});
