import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { checkSignature, decodeSecret, sign } from "../../src/inspect/signature.js";
import { OTHER_SECRET, SECRET, signedHeaders } from "./support.js";

const key = decodeSecret(SECRET);
const NOW = new Date("2026-01-02T03:04:05Z");
const nowSeconds = NOW.getTime() / 1000;

function check(body: string, headers: Record<string, string>, now = nowSeconds) {
  return checkSignature(key, headers, Buffer.from(body), now);
}

describe("Standard Webhooks signature check", () => {
  it("agrees with the reference library on arbitrary ids, times and bodies", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\s.]/.test(s)),
        fc.integer({ min: -300, max: 300 }),
        fc.string({ unit: "grapheme", maxLength: 300 }),
        (id, skew, body) => {
          const at = new Date((nowSeconds + skew) * 1000);
          const headers = signedHeaders(body, { id, at });
          expect(sign(key, id, headers["webhook-timestamp"], Buffer.from(body))).toBe(headers["webhook-signature"]);
          expect(check(body, headers)).toEqual({ verdict: "valid" });
        },
      ),
    );
  });

  it("calls a request without any webhook-* header unsigned", () => {
    expect(check("{}", { "content-type": "application/json" })).toEqual({ verdict: "unsigned" });
  });

  it("rejects a changed body, a different secret and a partial header set", () => {
    const headers = signedHeaders('{"a":1}', { at: NOW });
    expect(check('{"a":2}', headers).verdict).toBe("invalid");
    expect(check('{"a":1}', signedHeaders('{"a":1}', { at: NOW, secret: OTHER_SECRET })).verdict).toBe("invalid");
    const { "webhook-timestamp": _dropped, ...partial } = headers;
    expect(check('{"a":1}', partial)).toEqual({ verdict: "invalid", reason: "missing webhook-timestamp header" });
  });

  it("rejects timestamps more than five minutes away in either direction", () => {
    const old = signedHeaders("{}", { at: new Date(NOW.getTime() - 301_000) });
    const future = signedHeaders("{}", { at: new Date(NOW.getTime() + 301_000) });
    expect(check("{}", old)).toEqual({ verdict: "invalid", reason: "timestamp is 301s old (limit 300s)" });
    expect(check("{}", future).verdict).toBe("invalid");
    expect(check("{}", signedHeaders("{}", { at: new Date(NOW.getTime() - 299_000) })).verdict).toBe("valid");
  });

  it("accepts a list where any one v1 signature matches (key rotation)", () => {
    const headers = signedHeaders("{}", { at: NOW });
    const stale = new Webhook(OTHER_SECRET).sign(headers["webhook-id"], NOW, "{}");
    expect(check("{}", { ...headers, "webhook-signature": `${stale} ${headers["webhook-signature"]}` }).verdict).toBe("valid");
    expect(check("{}", { ...headers, "webhook-signature": stale }).verdict).toBe("invalid");
    const wrongVersion = headers["webhook-signature"].replace(/^v1,/, "v2,");
    expect(check("{}", { ...headers, "webhook-signature": wrongVersion }).verdict).toBe("invalid");
  });

  it("decodes secrets with or without the whsec_ prefix and names bad ones without echoing them", () => {
    expect(decodeSecret(SECRET)).toEqual(decodeSecret(SECRET.slice("whsec_".length)));
    expect(() => decodeSecret("whsec_")).toThrow("whsec_ followed by base64");
    let message = "";
    try {
      decodeSecret("whsec_not*base64!");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("base64");
    expect(message).not.toContain("not*base64!");
  });
});
