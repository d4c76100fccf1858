/** How long a `RecentItems` keeps what it is given: the first bound to bite drops the oldest. */
export interface RecentLimits {
  maxAgeMs: number;
  maxCount: number;
  /** Bound on the sum of the items' weights (e.g. bytes); none when undefined. */
  maxWeight?: number;
}

/**
 * Things that just happened (runs that ended, their events), kept for late readers within fixed
 * bounds of age, count and weight, oldest dropped first. No timer per item: a Map iterates in
 * insertion order, so the oldest sit at the front and each add or read trims from there.
 */
export class RecentItems<K, V> {
  private readonly items = new Map<K, { value: V; weight: number; expiresAt: number }>();
  private totalWeight = 0;

  /** `onDrop` runs for each item dropped by a bound (not for `clear`). */
  constructor(
    private readonly limits: RecentLimits,
    private readonly onDrop?: (key: K, value: V) => void,
  ) {}

  add(key: K, value: V, weight = 0, now = Date.now()): void {
    this.remove(key);
    this.items.set(key, { value, weight, expiresAt: now + this.limits.maxAgeMs });
    this.totalWeight += weight;
    this.evict(now);
  }

  get(key: K, now = Date.now()): V | undefined {
    this.evict(now);
    return this.items.get(key)?.value;
  }

  /** Drops what is past a bound now (reads and adds do it too). */
  evict(now = Date.now()): void {
    const { maxCount, maxWeight = Infinity } = this.limits;
    for (const [key, item] of this.items) {
      if (item.expiresAt > now && this.items.size <= maxCount && this.totalWeight <= maxWeight) return;
      this.remove(key);
      this.onDrop?.(key, item.value);
    }
  }

  clear(): void {
    this.items.clear();
    this.totalWeight = 0;
  }

  private remove(key: K): void {
    const item = this.items.get(key);
    if (!item) return;
    this.items.delete(key);
    this.totalWeight -= item.weight;
  }
}
