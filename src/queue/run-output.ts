import type { Json, JsonObject } from "../storage/types.js";

function interruptsOf(data: unknown): Json[] | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  const interrupts = (data as JsonObject).__interrupt__;
  return Array.isArray(interrupts) ? interrupts : undefined;
}

/**
 * What `wait` and `join` answer, picked from the run's stream as the Python server picks it: the
 * last root `values` chunk, or the interrupt chunk(s) when the graph paused (several merged into
 * one `__interrupt__` list). An empty `__interrupt__` (interrupt_before/after) is not a pause with
 * a value: the values before it stay the answer.
 */
export class RunOutput {
  private last: Json | undefined;
  private interrupts: Json[][] = [];

  constructor(private readonly streamModes: readonly string[]) {}

  see(event: string, data: unknown): void {
    const interrupts = interruptsOf(data);
    // With both modes asked for, the same interrupt comes as `updates` and as `values`: count it once.
    const fromUpdates = event === "updates" && !this.streamModes.includes("values");
    if (event !== "values" && !fromUpdates) return;
    if (interrupts === undefined) {
      if (event === "values") this.last = data as Json;
    } else if (interrupts.length > 0) {
      this.interrupts.push(interrupts);
    }
  }

  /** The answer, or undefined when the stream had none (the caller falls back to the thread's state). */
  result(): Json | undefined {
    if (this.interrupts.length > 0) return { __interrupt__: this.interrupts.flat() };
    return this.last;
  }
}

/** The Python server's fallback when the stream held no answer: the thread's stored state. */
export function threadAnswer(thread: { status: string; values: Json | null; interrupts: JsonObject } | undefined): Json {
  if (!thread) return {};
  if (thread.status === "interrupted") {
    const interrupts = Object.values(thread.interrupts).flatMap((list) => (Array.isArray(list) ? list : []));
    if (interrupts.length > 0) return { __interrupt__: interrupts };
  }
  const values = thread.values;
  return values !== null && (typeof values !== "object" || Object.keys(values).length > 0) ? values : {};
}
