import ipaddr from "ipaddr.js";

/** Resolved `webhooks.url` policy (see config.ts for defaults per mode). */
export interface WebhookUrlPolicy {
  readonly requireHttps: boolean;
  /** Lower-case ASCII host names; `*.suffix` matches subdomains only. `null`: any host. */
  readonly allowedDomains: readonly string[] | null;
  /** `null`: any port. */
  readonly allowedPorts: readonly number[] | null;
  readonly maxUrlLength: number;
  readonly disableLoopback: boolean;
  readonly disablePrivateIps: boolean;
}

export type UrlCheckResult = { ok: true; url: URL } | { ok: false; reason: string };

/** `loopback` includes the unspecified address: connecting to 0.0.0.0 or :: reaches this host. */
export type AddressClass = "public" | "loopback" | "private";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

function ipv4FromParts(high: number, low: number): IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** A loopback address hidden in a transition form is still loopback; anything else there is reserved. */
function classifyEmbedded(v4: IPv4): AddressClass {
  const inner = classifyIPv4(v4);
  return inner === "loopback" ? "loopback" : "private";
}

function classifyIPv4(addr: IPv4): AddressClass {
  const range = addr.range();
  if (range === "unicast") return "public";
  if (range === "loopback" || range === "unspecified") return "loopback";
  return "private";
}

function classifyIPv6(addr: IPv6): AddressClass {
  const p = addr.parts;
  if (addr.isIPv4MappedAddress()) return classifyIPv4(addr.toIPv4Address());
  const range = addr.range();
  // 6to4 and well-known NAT64 (DNS64 synthesises these on IPv6-only hosts) route to the
  // embedded IPv4 address, so they are exactly as public as that address.
  if (range === "6to4") return classifyIPv4(ipv4FromParts(p[1], p[2]));
  if (range === "rfc6052" && p[2] === 0) return classifyIPv4(ipv4FromParts(p[6], p[7]));
  if (range === "unicast" && p.slice(0, 6).every((part) => part === 0)) {
    // IPv4-compatible `::a.b.c.d` (deprecated): ipaddr.js calls it unicast.
    return classifyEmbedded(ipv4FromParts(p[6], p[7]));
  }
  if (range === "rfc6145") return classifyEmbedded(ipv4FromParts(p[6], p[7]));
  if (range === "unicast") return "public";
  if (range === "loopback" || range === "unspecified") return "loopback";
  return "private";
}

/** Classifies an IP address string; `null` when it is not one. */
export function classifyAddress(ip: string): AddressClass | null {
  const bare = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(bare)) return null;
  const addr = ipaddr.parse(bare);
  return addr.kind() === "ipv4" ? classifyIPv4(addr as IPv4) : classifyIPv6(addr as IPv6);
}

function refusal(kind: AddressClass, policy: WebhookUrlPolicy): string | null {
  if (kind === "loopback" && policy.disableLoopback) return "a loopback address";
  if (kind === "private" && policy.disablePrivateIps) return "a private or reserved address";
  return null;
}

/** Send-time check of one resolved address: the reason it is refused, or null. */
export function checkResolvedAddress(ip: string, policy: WebhookUrlPolicy): string | null {
  const kind = classifyAddress(ip);
  if (kind === null) return `${ip} is not an IP address`;
  const what = refusal(kind, policy);
  return what === null ? null : `${ip} is ${what}`;
}

const LOOPBACK_NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"]);
// Suffixes that never name a public host; single-label names resolve through search domains.
const PRIVATE_SUFFIXES = [".local", ".localdomain", ".internal", ".lan", ".home.arpa"];

function classifyName(host: string): AddressClass {
  if (LOOPBACK_NAMES.has(host) || host.endsWith(".localhost")) return "loopback";
  if (!host.includes(".") || PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix))) return "private";
  return "public";
}

/** True when `host` (lower-case, no trailing dot) is allowed by one `allowed_domains` entry. */
function domainMatches(host: string, entry: string): boolean {
  if (entry.startsWith("*.")) return host.endsWith(entry.slice(1));
  return host === entry;
}

/** Strips IPv6 brackets and a trailing root dot; WHATWG URL already lower-cases and punycodes. */
function normaliseHost(hostname: string): string {
  if (hostname.startsWith("[") && hostname.endsWith("]")) return hostname.slice(1, -1);
  return hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
}

/**
 * Creation-time check of a webhook URL. Host names are not resolved here (the sender checks
 * every resolved address); IP literals and well-known local names are judged now.
 * Reasons never quote the URL, whose query may hold a token.
 */
export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): UrlCheckResult {
  if (raw.length > policy.maxUrlLength) {
    return { ok: false, reason: `Webhook URL is too long (${raw.length} > ${policy.maxUrlLength} characters)` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return URL.canParse(raw, "http://relative.invalid/")
      ? { ok: false, reason: "Relative webhook URLs are not supported; give an absolute http(s) URL" }
      : { ok: false, reason: "Webhook URL is not a valid URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: "Webhook URL must use http or https" };
  }
  if (url.username !== "" || url.password !== "") {
    return { ok: false, reason: "Webhook URL must not contain credentials" };
  }
  if (policy.requireHttps && url.protocol !== "https:") return { ok: false, reason: "Webhook must use https" };
  const host = normaliseHost(url.hostname);
  if (host === "") return { ok: false, reason: "Webhook URL has no host" };
  if (policy.allowedDomains && !policy.allowedDomains.some((entry) => domainMatches(host, entry))) {
    return { ok: false, reason: "Webhook domain not allowed" };
  }
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (policy.allowedPorts && !policy.allowedPorts.includes(port)) {
    return { ok: false, reason: "Webhook port not allowed" };
  }
  const kind = classifyAddress(host) ?? classifyName(host);
  const what = refusal(kind, policy);
  if (what !== null) return { ok: false, reason: `Webhook host ${host} is ${what}` };
  return { ok: true, url };
}
