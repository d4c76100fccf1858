import type { ResponseRules } from "./responses.js";
import type { ReceivedRequest, RequestStore } from "./store.js";

/** What the inspector's routes share. */
export interface InspectorContext {
  store: RequestStore;
  rules: ResponseRules;
  /** The decoded signing key, or null when signatures are not checked. */
  key: Buffer | null;
  /** Aborted when the inspector closes, to end delayed answers and event streams. */
  closing: AbortSignal;
  onRequest?: (request: ReceivedRequest) => void;
}
