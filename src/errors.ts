/**
 * The catalogue of errors hookgraph answers with. Domain code throws these; the HTTP error handler
 * maps each to its status and a `{detail}` body (the official server's error shape).
 */
export class HookgraphError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const notFound = (what: string, id: string) => new HookgraphError(404, "not_found", `${what} ${id} not found`);

export const conflict = (message: string) => new HookgraphError(409, "conflict", message);

/** Invalid input: the message names the field and the rule. */
export const invalid = (message: string) => new HookgraphError(422, "invalid", message);
