/**
 * Delays between retries of an operation on the database or Redis while it fails (connection
 * lost, server restarting): doubling from `initialMs` up to `maxMs`, reset by a success. A worker
 * loop that meets an error waits and tries again instead of stopping for good.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs = 50,
    private readonly maxMs = 5_000,
  ) {}

  /** Records a failure; answers how long to wait before the next try. */
  fail(): number {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures += 1;
    return delay;
  }

  succeed(): void {
    this.failures = 0;
  }

  get failing(): boolean {
    return this.failures > 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs `operation` until it succeeds, waiting with a backoff between failures; gives up once
 * `keepTrying()` answers false after a failure (e.g. the lease the write depends on has lapsed).
 */
export async function retryWhile<T>(
  operation: () => Promise<T>,
  keepTrying: () => boolean,
  onError: (error: unknown, retryInMs: number) => void,
): Promise<{ ok: true; value: T } | { ok: false }> {
  const backoff = new Backoff(100, 5_000);
  for (;;) {
    try {
      return { ok: true, value: await operation() };
    } catch (error) {
      if (!keepTrying()) return { ok: false };
      const delay = backoff.fail();
      onError(error, delay);
      await sleep(delay);
    }
  }
}
