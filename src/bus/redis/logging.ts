/** How the Redis bus reports trouble: through the server's logger, without secrets, without floods. */

/** The part of the server's (pino) logger the bus uses. */
export interface BusLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * An error as it may be logged: name, message and code only. ioredis attaches the failed
 * command's arguments to its errors (an AUTH's password, a publish's event data); those stay out.
 */
export function describeError(error: unknown): { name: string; message: string; code?: string } {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === "string" ? { code } : {}) };
}

/**
 * Logs a recurring failure at most once per interval, with how many went unlogged since: while
 * Redis is down, every fire-and-forget publish fails, hundreds a second.
 */
export class ThrottledFailure {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly logger: BusLogger,
    private readonly msg: string,
    private readonly intervalMs = 10_000,
  ) {}

  report(error: unknown, context: object = {}): void {
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    this.logger.error({ ...context, err: describeError(error), suppressed: this.suppressed }, this.msg);
    this.lastAt = now;
    this.suppressed = 0;
  }
}
