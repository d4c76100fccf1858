/** One stream event of one run, as a graph worker sends it to the main thread. */
export type RunEvent = [runId: string, event: string, data: unknown];

/**
 * At most this many events per message: a client parses while the graph still emits, so a
 * thousand events in one message would hold the first of them back (measured: 32 beat 8 and 128).
 */
const MAX_BATCH = 32;

/**
 * Coalesces a worker's stream events into few messages. A message to the main thread costs far
 * more than the event it carries (a cross-thread wake-up, a macrotask, a socket write per SSE
 * client), and a graph often emits many events in one turn of the event loop (custom writer calls,
 * several stream modes per step). The first event after a quiet spell goes at once, so a lone
 * event is never delayed; those that follow in the same turn go together, every `MAX_BATCH` events
 * and at the end of the turn (setImmediate).
 */
export class EventBatcher {
  /** Events held for the end of this turn; undefined while quiet (the next event goes at once). */
  private held: RunEvent[] | undefined;

  constructor(private readonly send: (events: RunEvent[]) => void) {}

  add(event: RunEvent): void {
    if (this.held) {
      this.held.push(event);
      if (this.held.length >= MAX_BATCH) this.flush();
      return;
    }
    this.send([event]);
    this.held = [];
    setImmediate(() => this.endOfTurn());
  }

  /** Sends what is held now (before a run's end message, which must follow its events). */
  flush(): void {
    if (this.held && this.held.length > 0) {
      this.send(this.held);
      this.held = [];
    }
  }

  private endOfTurn(): void {
    if (this.held && this.held.length > 0) {
      this.flush();
      setImmediate(() => this.endOfTurn());
    } else {
      this.held = undefined;
    }
  }
}
