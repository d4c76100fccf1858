const MASK = "***";

/**
 * A webhook URL fit for API responses and logs: userinfo dropped, every query value (and any
 * bare query entry, which is often a token itself) and the fragment replaced by `***`; keys
 * kept. Works on text that is not a valid URL too, so nothing slips through on a parse error.
 */
export function redactUrl(url: string): string {
  const hashAt = url.indexOf("#");
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = beforeHash.indexOf("?");
  let base = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const authorityStart = base.indexOf("//");
  if (authorityStart !== -1) {
    const rest = base.slice(authorityStart + 2);
    const authorityEnd = rest.search(/[/\\]/);
    const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
    const at = authority.lastIndexOf("@");
    if (at !== -1) base = base.slice(0, authorityStart + 2) + rest.slice(at + 1);
  }
  let redacted = base;
  if (queryAt !== -1) {
    const query = beforeHash.slice(queryAt + 1);
    const pairs = query === "" ? [] : query.split("&");
    redacted +=
      "?" +
      pairs
        .map((pair) => {
          if (pair === "") return pair;
          const eq = pair.indexOf("=");
          return eq === -1 ? MASK : `${pair.slice(0, eq)}=${MASK}`;
        })
        .join("&");
  }
  return hashAt === -1 ? redacted : `${redacted}#${MASK}`;
}

/** A copy of a run's `kwargs` (or any object) whose `webhook` URL is redacted; other keys untouched. */
export function redactWebhookField<T extends Record<string, unknown>>(kwargs: T): T;
export function redactWebhookField<T extends Record<string, unknown>>(kwargs: T | null | undefined): T | null | undefined;
export function redactWebhookField<T extends Record<string, unknown>>(kwargs: T | null | undefined): T | null | undefined {
  if (kwargs == null || typeof kwargs.webhook !== "string") return kwargs;
  return { ...kwargs, webhook: redactUrl(kwargs.webhook) };
}

/** Shorter values are not secret-like, and masking them would garble ordinary text. */
const MIN_SECRET_LENGTH = 4;

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, " "));
  } catch {
    return part;
  }
}

/**
 * The secrets one webhook request carries, as a receiver might echo them back: each query
 * value (raw and decoded) and each configured header value (whole, and word by word).
 */
export function requestSecrets(url: string, headerValues: readonly string[]): string[] {
  const found = new Set<string>();
  const add = (value: string) => {
    if (value.length >= MIN_SECRET_LENGTH) found.add(value);
  };
  const query = url.split("#")[0].split("?").slice(1).join("?");
  for (const pair of query.split("&")) {
    const value = pair.slice(pair.indexOf("=") + 1);
    add(value);
    add(decodeQueryPart(value));
  }
  for (const value of headerValues) {
    add(value);
    for (const word of value.split(/\s+/)) add(word);
  }
  // Longest first, so a secret that contains another is masked whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each secret replaced by `***`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets) if (masked.includes(secret)) masked = masked.split(secret).join(MASK);
  return masked;
}
