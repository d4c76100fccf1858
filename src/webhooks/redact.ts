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
