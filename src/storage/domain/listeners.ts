/**
 * Listeners of a repository's committed writes in this process (the cron scheduler re-arming its
 * timer). Called after the commit, never inside a transaction, so a listener that reads sees the
 * change. Other processes learn of it through the bus.
 */
export class ChangeListeners {
  private readonly listeners = new Set<() => void>();

  /** Returns the unsubscribe. */
  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}
