/** One timer that fires at the earliest instant it was asked for; later requests never delay it. */
export class WakeTimer {
  private handle: NodeJS.Timeout | undefined;
  private dueAt = Infinity;

  constructor(private readonly onWake: () => void) {}

  at(when: Date): void {
    const dueAt = when.getTime();
    if (dueAt >= this.dueAt) return;
    this.clear();
    this.dueAt = dueAt;
    // setTimeout caps at ~24.8 days; re-arming on wake covers longer delays.
    const delay = Math.min(Math.max(0, dueAt - Date.now()), 2 ** 31 - 1);
    this.handle = setTimeout(() => {
      this.handle = undefined;
      this.dueAt = Infinity;
      this.onWake();
    }, delay);
    this.handle.unref();
  }

  clear(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    this.dueAt = Infinity;
  }
}
