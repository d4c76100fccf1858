/** A counting semaphore whose waiters queue in FIFO order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // The slot passes straight to the next waiter, so `active` stays the same.
    if (next) next();
    else this.active--;
  }

  /** Slots held plus waiters: zero means the semaphore can be dropped. */
  get load(): number {
    return this.active + this.waiters.length;
  }
}

/**
 * At most `perKey` tasks per key and `total` overall. A task takes its key's slot before a
 * global one, so one busy origin holds at most `perKey` of the global slots.
 */
export class KeyedLimiter {
  private readonly global: Semaphore;
  private readonly perKey = new Map<string, Semaphore>();

  constructor(
    private readonly perKeyLimit: number,
    total: number,
  ) {
    this.global = new Semaphore(total);
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let keyed = this.perKey.get(key);
    if (!keyed) {
      keyed = new Semaphore(this.perKeyLimit);
      this.perKey.set(key, keyed);
    }
    await keyed.acquire();
    try {
      await this.global.acquire();
      try {
        return await task();
      } finally {
        this.global.release();
      }
    } finally {
      keyed.release();
      if (keyed.load === 0) this.perKey.delete(key);
    }
  }

  /** Number of keys with tasks running or waiting. */
  get keys(): number {
    return this.perKey.size;
  }
}
