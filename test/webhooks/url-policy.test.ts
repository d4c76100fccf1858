import { describe, expect, it } from "vitest";
import type { WebhookUrlPolicyConfig } from "../../src/config/langgraph-json.js";
import { resolveWebhookSettings, type ServerMode } from "../../src/webhooks/config.js";
import { checkResolvedAddress, checkWebhookUrl, classifyAddress, type WebhookUrlPolicy } from "../../src/webhooks/url-policy.js";

function policy(mode: ServerMode, url?: WebhookUrlPolicyConfig): WebhookUrlPolicy {
  return resolveWebhookSettings(mode, url ? { url } : {}, {}, {}).urlPolicy;
}

function reason(raw: string, p: WebhookUrlPolicy): string | null {
  const result = checkWebhookUrl(raw, p);
  return result.ok ? null : result.reason;
}

const dev = policy("dev");
const serve = policy("serve");

// [url, class] — every SSRF spelling must be refused in serve mode and allowed in dev mode.
const loopbackSpellings = [
  "http://127.0.0.1/hook",
  "http://127.1/",
  "http://2130706433/", // decimal
  "http://0177.0.0.1/", // octal
  "http://0x7f.0.0.1/", // hex
  "http://0x7f000001/",
  "http://[::1]/",
  "http://[::ffff:7f00:1]/", // IPv4-mapped
  "http://[::ffff:127.0.0.1]/",
  "http://[::127.0.0.1]/", // IPv4-compatible (ipaddr.js calls this unicast)
  "http://[2002:7f00:1::]/", // 6to4 of 127.0.0.1
  "http://[64:ff9b::7f00:1]/", // NAT64 of 127.0.0.1
  "http://0.0.0.0/",
  "http://0/",
  "http://[::]/",
  "http://localhost:8080/",
  "http://LOCALHOST./",
  "http://api.localhost/",
  "http://ip6-localhost/",
];
const privateSpellings = [
  "http://10.0.0.1/",
  "http://172.16.5.4/",
  "http://192.168.1.1/",
  "http://169.254.169.254/latest/meta-data/",
  "http://100.64.0.1/", // CGNAT
  "http://[fd00::1]/",
  "http://[fe80::1]/",
  "http://[2002:a9fe:a9fe::]/", // 6to4 of 169.254.169.254
  "http://[2002:0a00:0001::1]/", // 6to4 of 10.0.0.1
  "http://[64:ff9b::a9fe:a9fe]/", // NAT64 of 169.254.169.254
  "http://[64:ff9b::10.1.2.3]/",
  "http://[::ffff:a9fe:a9fe]/", // IPv4-mapped metadata address
  "http://[::ffff:192.168.0.1]/",
  "http://0xa9fea9fe/", // hex metadata address
  "http://2852039166/", // decimal metadata address
  "http://224.0.0.1/",
  "http://255.255.255.255/",
  "http://240.0.0.1/",
  "http://198.18.0.1/",
  "http://metadata.google.internal/",
  "http://printer.local/",
  "http://router.home.arpa/",
  "http://intranet/",
];
const publicUrls = [
  "https://hooks.example.com/path?token=abc",
  "http://93.184.216.34/",
  "http://[2606:4700::1111]/",
  "http://[64:ff9b::5db8:d822]/", // NAT64 of 93.184.216.34: what DNS64 hands IPv6-only hosts
  "http://[2002:5db8:d822::1]/", // 6to4 of a public address
  "http://[::ffff:93.184.216.34]/",
];

describe("checkWebhookUrl: mode defaults", () => {
  it.each(loopbackSpellings)("serve refuses loopback %s; dev allows it", (url) => {
    expect(reason(url, serve)).toMatch(/is a loopback address/);
    expect(reason(url, dev)).toBeNull();
  });

  it.each(privateSpellings)("serve refuses private/reserved %s; dev allows it", (url) => {
    expect(reason(url, serve)).toMatch(/is a private or reserved address/);
    expect(reason(url, dev)).toBeNull();
  });

  it.each(publicUrls)("both modes allow public %s", (url) => {
    expect(reason(url, serve)).toBeNull();
    expect(reason(url, dev)).toBeNull();
  });

  it("returns the parsed URL with its query intact", () => {
    const result = checkWebhookUrl("https://hooks.example.com/a/b?token=s3cret&x=1", serve);
    expect(result.ok && result.url.search).toBe("?token=s3cret&x=1");
  });

  it("does not require https unless configured, in either mode", () => {
    expect(reason("http://hooks.example.com/", serve)).toBeNull();
    expect(reason("http://hooks.example.com/", policy("serve", { require_https: true }))).toBe("Webhook must use https");
    expect(reason("https://hooks.example.com/", policy("dev", { require_https: true }))).toBeNull();
  });
});

describe("checkWebhookUrl: explicit keys win over mode defaults", () => {
  it("disable_loopback and disable_private_ips act independently", () => {
    const onlyLoopback = policy("dev", { disable_loopback: true });
    expect(reason("http://127.0.0.1/", onlyLoopback)).toMatch(/loopback/);
    expect(reason("http://10.0.0.1/", onlyLoopback)).toBeNull();
    expect(reason("http://[2002:7f00:1::]/", onlyLoopback)).toMatch(/loopback/);
    expect(reason("http://[2002:a00:1::]/", onlyLoopback)).toBeNull();

    const onlyPrivate = policy("dev", { disable_private_ips: true });
    expect(reason("http://127.0.0.1/", onlyPrivate)).toBeNull();
    expect(reason("http://10.0.0.1/", onlyPrivate)).toMatch(/private/);

    const serveOpen = policy("serve", { disable_loopback: false, disable_private_ips: false });
    expect(reason("http://127.0.0.1/", serveOpen)).toBeNull();
    expect(reason("http://169.254.169.254/", serveOpen)).toBeNull();
    const serveLoopbackOnly = policy("serve", { disable_loopback: false });
    expect(reason("http://localhost/", serveLoopbackOnly)).toBeNull();
    expect(reason("http://192.168.0.1/", serveLoopbackOnly)).toMatch(/private/);
  });

  it("allowed_domains: exact names and *.suffix (subdomains only), case-insensitive", () => {
    const p = policy("serve", { allowed_domains: ["Hooks.Example.com", "*.Partner.io"] });
    expect(reason("https://hooks.example.com/x", p)).toBeNull();
    expect(reason("https://HOOKS.EXAMPLE.COM./x", p)).toBeNull();
    expect(reason("https://a.partner.io/", p)).toBeNull();
    expect(reason("https://a.b.partner.io/", p)).toBeNull();
    expect(reason("https://partner.io/", p)).toBe("Webhook domain not allowed");
    expect(reason("https://evilpartner.io/", p)).toBe("Webhook domain not allowed");
    expect(reason("https://sub.hooks.example.com/", p)).toBe("Webhook domain not allowed");
    expect(reason("https://hooks.example.com.evil.net/", p)).toBe("Webhook domain not allowed");
    expect(reason("https://a.partner.io@evil.net/", p)).not.toBeNull();
  });

  it("allowed_ports compares the effective port", () => {
    const p = policy("dev", { allowed_ports: [443, 8443] });
    expect(reason("https://hooks.example.com/", p)).toBeNull();
    expect(reason("https://hooks.example.com:8443/", p)).toBeNull();
    expect(reason("http://hooks.example.com/", p)).toBe("Webhook port not allowed");
    expect(reason("https://hooks.example.com:444/", p)).toBe("Webhook port not allowed");
    expect(reason("http://hooks.example.com:443/", p)).toBeNull();
  });

  it("max_url_length: default 4096, configurable", () => {
    const long = `https://hooks.example.com/${"a".repeat(4096 - 26)}`;
    expect(long.length).toBe(4096);
    expect(reason(long, serve)).toBeNull();
    expect(reason(`${long}b`, serve)).toMatch(/too long \(4097 > 4096/);
    expect(reason("https://hooks.example.com/abcdef", policy("dev", { max_url_length: 30 }))).toMatch(/too long/);
  });
});

describe("checkWebhookUrl: shape", () => {
  it.each([
    ["/runs/hook", /Relative webhook URLs are not supported/],
    ["hook?x=1", /Relative webhook URLs are not supported/],
    ["ftp://hooks.example.com/", /must use http or https/],
    ["file:///etc/passwd", /must use http or https/],
    ["javascript:alert(1)", /must use http or https/],
    ["https://user:pass@hooks.example.com/", /must not contain credentials/],
    ["https://token@hooks.example.com/", /must not contain credentials/],
    ["http://exa mple.com/", /not a valid URL/],
    ["http://[::1/", /not a valid URL/],
  ])("refuses %s", (url, expected) => {
    expect(reason(url, dev)).toMatch(expected);
  });

  it("never quotes the query in a reason", () => {
    const p = policy("serve", { allowed_domains: ["example.com"] });
    for (const url of ["https://other.com/?token=s3cret", "http://127.0.0.1/?token=s3cret", "/x?token=s3cret"]) {
      expect(reason(url, p)).not.toContain("s3cret");
    }
  });
});

describe("checkResolvedAddress", () => {
  it("unmaps IPv4-mapped addresses and looks inside 6to4 and NAT64", () => {
    expect(checkResolvedAddress("::ffff:127.0.0.1", serve)).toMatch(/loopback/);
    expect(checkResolvedAddress("::ffff:10.1.1.1", serve)).toMatch(/private/);
    expect(checkResolvedAddress("2002:c0a8:101::", serve)).toMatch(/private/);
    expect(checkResolvedAddress("64:ff9b::c0a8:101", serve)).toMatch(/private/);
    expect(checkResolvedAddress("64:ff9b:1::c0a8:101", serve)).toMatch(/private/); // local-use NAT64
    expect(checkResolvedAddress("2001:0:4136:e378:8000:63bf:3fff:fdd2", serve)).toMatch(/private/); // Teredo
    expect(checkResolvedAddress("2001:db8::1", serve)).toMatch(/private/);
    expect(checkResolvedAddress("8.8.8.8", serve)).toBeNull();
    expect(checkResolvedAddress("2a00:1450:4001:80b::200e", serve)).toBeNull();
  });

  it("reports non-addresses", () => {
    expect(checkResolvedAddress("example.com", dev)).toMatch(/not an IP address/);
  });

  it("classifies the unspecified addresses as loopback (connecting to them reaches this host)", () => {
    expect(classifyAddress("0.0.0.0")).toBe("loopback");
    expect(classifyAddress("::")).toBe("loopback");
    expect(classifyAddress("[::1]")).toBe("loopback");
    expect(classifyAddress("example.com")).toBeNull();
  });
});
