/** How the inspector answers requests to one path. */
export interface ResponseRule {
  path: string;
  /** Answered in order; the last one repeats for every later request. */
  statuses: number[];
  delay_ms: number;
  /** Seconds, sent as `Retry-After` with every non-2xx answer. */
  retry_after: number | null;
}

export interface RuleState extends ResponseRule {
  /** Requests answered under this rule since it was set. */
  served: number;
}

export interface Answer {
  status: number;
  delay_ms: number;
  retry_after: number | null;
}

export const DEFAULT_ANSWER: Answer = { status: 200, delay_ms: 0, retry_after: null };
export const MAX_DELAY_MS = 120_000;

export class RuleError extends Error {
  override name = "RuleError";
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RuleError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** Validates an untrusted rule (from the API or a flag) and fills defaults. */
export function validateRule(input: {
  path?: unknown;
  statuses?: unknown;
  delay_ms?: unknown;
  retry_after?: unknown;
}): ResponseRule {
  const { path } = input;
  if (typeof path !== "string" || !path.startsWith("/") || path.includes("?")) {
    throw new RuleError("path must start with / and carry no query");
  }
  if (!Array.isArray(input.statuses) || input.statuses.length === 0 || input.statuses.length > 100) {
    throw new RuleError("statuses must list 1 to 100 status codes");
  }
  const statuses = input.statuses.map((status) => wholeNumber("each status", status, 200, 599));
  const delay_ms = input.delay_ms === undefined ? 0 : wholeNumber("delay_ms", input.delay_ms, 0, MAX_DELAY_MS);
  const retry_after =
    input.retry_after === undefined || input.retry_after === null
      ? null
      : wholeNumber("retry_after", input.retry_after, 0, 86_400);
  return { path, statuses, delay_ms, retry_after };
}

/**
 * Parses a `--respond` value: `PATH=STATUSES[;delay=MS][;retry-after=S]`,
 * e.g. `/hooks/a=503,503,200;delay=250;retry-after=5`.
 */
export function parseRuleSpec(spec: string): ResponseRule {
  const equals = spec.indexOf("=");
  if (equals <= 0) throw new RuleError("expected PATH=STATUSES[;delay=MS][;retry-after=S]");
  const [statuses, ...options] = spec.slice(equals + 1).split(";");
  const rule: Record<string, unknown> = {
    path: spec.slice(0, equals),
    statuses: statuses.split(",").map((s) => (s.trim() === "" ? NaN : Number(s))),
  };
  for (const option of options) {
    const [key, value = ""] = option.split("=", 2);
    const number = value.trim() === "" ? NaN : Number(value);
    if (key === "delay") rule.delay_ms = number;
    else if (key === "retry-after") rule.retry_after = number;
    else throw new RuleError(`unknown option "${key}" (expected delay or retry-after)`);
  }
  return validateRule(rule);
}

/** Per-path rules and how far each has advanced through its status sequence. */
export class ResponseRules {
  private readonly rules = new Map<string, RuleState>();

  constructor(initial: ResponseRule[] = []) {
    for (const rule of initial) this.set(rule);
  }

  /** Sets (or replaces) a path's rule and restarts its sequence. */
  set(rule: ResponseRule): RuleState {
    const state = { ...rule, served: 0 };
    this.rules.set(rule.path, state);
    return state;
  }

  delete(path: string): boolean {
    return this.rules.delete(path);
  }

  list(): RuleState[] {
    return [...this.rules.values()].map((state) => ({ ...state }));
  }

  /** The answer for the next request to `path`, advancing its sequence. */
  next(path: string): Answer {
    const state = this.rules.get(path);
    if (!state) return DEFAULT_ANSWER;
    const status = state.statuses[Math.min(state.served, state.statuses.length - 1)];
    state.served += 1;
    return { status, delay_ms: state.delay_ms, retry_after: state.retry_after };
  }

  has(path: string): boolean {
    return this.rules.has(path);
  }
}
