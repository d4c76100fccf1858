import { describe, expect, it } from "vitest";
import { maskSecrets, redactUrl, redactWebhookField, requestSecrets } from "../../src/webhooks/redact.js";

describe("redactUrl", () => {
  it.each([
    ["https://hooks.example.com/h?token=s3cret&x=1", "https://hooks.example.com/h?token=***&x=***"],
    ["https://hooks.example.com/h", "https://hooks.example.com/h"],
    ["https://user:pa55@hooks.example.com:8443/h?a=", "https://hooks.example.com:8443/h?a=***"],
    ["https://tok@en@hooks.example.com/a@b", "https://hooks.example.com/a@b"],
    ["https://hooks.example.com/h?s3cret", "https://hooks.example.com/h?***"],
    ["https://hooks.example.com/h?a=1&&b=2#frag-s3cret", "https://hooks.example.com/h?a=***&&b=***#***"],
    ["https://hooks.example.com/h?", "https://hooks.example.com/h?"],
    ["/relative?key=s3cret", "/relative?key=***"],
    ["not a url ?key=s3cret", "not a url ?key=***"],
  ])("%s → %s", (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it("never leaves a query value behind (random values)", () => {
    for (let i = 0; i < 200; i++) {
      const secret = `S${Math.random().toString(36).slice(2)}`;
      const url = `https://u:${secret}@h.example/p?k${i}=${secret}&plain&x=${secret}#${secret}`;
      expect(redactUrl(url)).not.toContain(secret);
    }
  });
});

describe("redactWebhookField", () => {
  it("redacts only the webhook field and copies", () => {
    const kwargs = { input: { token: "kept" }, webhook: "https://h.example/x?token=s3cret" };
    const redacted = redactWebhookField(kwargs);
    expect(redacted).toEqual({ input: { token: "kept" }, webhook: "https://h.example/x?token=***" });
    expect(kwargs.webhook).toContain("s3cret");
  });

  it("passes through objects without a string webhook", () => {
    const kwargs = { webhook: null, input: 1 };
    expect(redactWebhookField(kwargs)).toBe(kwargs);
    expect(redactWebhookField(null)).toBeNull();
    expect(redactWebhookField(undefined)).toBeUndefined();
  });
});

describe("requestSecrets and maskSecrets", () => {
  it("mask query values (raw and decoded) and header values (whole and word by word) in echoed text", () => {
    const secrets = requestSecrets("https://h.example/x?token=a%2Fb%20c123&id=42&flag#frag", ["Bearer hdr-secret-1", "k3y"]);
    const echoed = "GET /x?token=a%2Fb%20c123 token a/b c123; Authorization: Bearer hdr-secret-1; bare hdr-secret-1; id=42";
    expect(maskSecrets(echoed, secrets)).toBe("GET /x?token=*** token ***; Authorization: ***; bare ***; id=42");
  });

  it("leaves short values alone (not secret-like) and text without secrets untouched", () => {
    const secrets = requestSecrets("https://h.example/x?a=1&b=ok", ["on"]);
    expect(secrets).toEqual([]);
    expect(maskSecrets("a=1 b=ok on", secrets)).toBe("a=1 b=ok on");
  });
});
