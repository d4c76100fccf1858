import type { Answer, RuleState } from "./responses.js";
import type { SignatureCheck } from "./signature.js";

/** One received request, as kept in memory and exported by `GET /api/requests`. */
export interface ReceivedRequest {
  id: number;
  received_at: string;
  method: string;
  path: string;
  /** The raw query string without `?`; empty when there was none. */
  query: string;
  /** In the order and spelling received; repeated names appear more than once. */
  headers: Array<[string, string]>;
  /** UTF-8 text, or base64 when the body is not valid UTF-8. */
  body: string;
  body_encoding: "utf8" | "base64";
  size: number;
  /** Null when the inspector runs without a secret. */
  signature: SignatureCheck | null;
  response: Answer;
}

export type InspectorEvent =
  | { type: "request"; request: ReceivedRequest }
  | { type: "responses"; responses: RuleState[] }
  | { type: "cleared" };

type Listener = (event: InspectorEvent) => void;

/** The last `capacity` requests, plus listeners told about every change. */
export class RequestStore {
  private readonly items: ReceivedRequest[] = [];
  private readonly listeners = new Set<Listener>();
  private nextId = 1;

  constructor(readonly capacity: number) {}

  add(request: Omit<ReceivedRequest, "id">): ReceivedRequest {
    const stored = { id: this.nextId++, ...request };
    this.items.push(stored);
    if (this.items.length > this.capacity) this.items.shift();
    this.emit({ type: "request", request: stored });
    return stored;
  }

  /** Newest first, optionally only one path. */
  list(path?: string): ReceivedRequest[] {
    const newestFirst = [...this.items].reverse();
    return path === undefined ? newestFirst : newestFirst.filter((r) => r.path === path);
  }

  get(id: number): ReceivedRequest | undefined {
    return this.items.find((r) => r.id === id);
  }

  clear(): void {
    this.items.length = 0;
    this.emit({ type: "cleared" });
  }

  emit(event: InspectorEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
