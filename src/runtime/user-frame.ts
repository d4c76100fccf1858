/**
 * The first stack frame of an error that lies in the user's own code (not a package, not Node's
 * internals), as `file:line:column`: where to look when the message alone does not say.
 */
export function userFrame(error: unknown): string | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  for (const line of stack?.split("\n").slice(1) ?? []) {
    const match = /^\s+at (?:.*\()?(.+?:\d+:\d+)\)?$/.exec(line);
    if (!match) continue;
    const location = match[1];
    if (!location.includes("/node_modules/") && !location.startsWith("node:") && !location.startsWith("data:")) return location;
  }
  return undefined;
}
