import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE } from "../../src/webhooks/config.js";
import { classifyStatus, nextAttemptDelayMs, parseRetryAfter } from "../../src/webhooks/retry.js";

describe("classifyStatus", () => {
  it.each([
    [200, "succeeded"],
    [201, "succeeded"],
    [204, "succeeded"],
    [299, "succeeded"],
    [301, "retry"],
    [302, "retry"],
    [307, "retry"],
    [308, "retry"],
    [408, "retry"],
    [429, "retry"],
    [500, "retry"],
    [502, "retry"],
    [503, "retry"],
    [504, "retry"],
    [400, "failed"],
    [401, "failed"],
    [403, "failed"],
    [404, "failed"],
    [410, "failed"],
    [413, "failed"],
    [422, "failed"],
    [100, "failed"],
  ])("%i → %s", (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:01:30 GMT", now)).toBe(90);
    expect(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores nonsense", () => {
    for (const value of [undefined, null, "", "soon", "-5", "1.5", "2026-03-01", "12 apples"]) {
      expect(parseRetryAfter(value, now)).toBeUndefined();
    }
  });
});

describe("nextAttemptDelayMs", () => {
  it("walks the default table and stops when it is exhausted", () => {
    const mid = () => 0.5; // no jitter
    const table = DEFAULT_RETRY_SCHEDULE.map((_, i) => nextAttemptDelayMs(i + 1, DEFAULT_RETRY_SCHEDULE, { random: mid }));
    expect(table).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000]);
    expect(nextAttemptDelayMs(DEFAULT_RETRY_SCHEDULE.length + 1, DEFAULT_RETRY_SCHEDULE)).toBeNull();
    expect(nextAttemptDelayMs(0, DEFAULT_RETRY_SCHEDULE)).toBeNull();
    expect(nextAttemptDelayMs(1, [])).toBeNull();
  });

  it("jitters by ±20 % at the extremes", () => {
    expect(nextAttemptDelayMs(1, [10], { random: () => 0 })).toBe(8_000);
    expect(nextAttemptDelayMs(1, [10], { random: () => 0.999999 })).toBe(12_000);
    expect(nextAttemptDelayMs(1, [0.5], { random: () => 0.5 })).toBe(500);
  });

  it("clamps Retry-After to [scheduled, 2 × scheduled]", () => {
    expect(nextAttemptDelayMs(1, [300], { retryAfterSeconds: 1 })).toBe(300_000);
    expect(nextAttemptDelayMs(1, [300], { retryAfterSeconds: 450 })).toBe(450_000);
    expect(nextAttemptDelayMs(1, [300], { retryAfterSeconds: 86_400 })).toBe(600_000);
    expect(nextAttemptDelayMs(1, [0], { retryAfterSeconds: 60 })).toBe(0);
  });

  const schedule = fc.array(fc.double({ min: 0, max: 86_400, noNaN: true }), { minLength: 1, maxLength: 12 });

  it("property: without Retry-After the delay stays within ±20 % of the scheduled one", () => {
    fc.assert(
      fc.property(schedule, fc.nat(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (s, n, r) => {
        const attempts = (n % s.length) + 1;
        const delay = nextAttemptDelayMs(attempts, s, { random: () => r });
        const base = s[attempts - 1] * 1000;
        expect(delay).not.toBeNull();
        expect(delay!).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay!).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }),
    );
  });

  it("property: with Retry-After the delay is within [scheduled, 2 × scheduled] and monotone in it", () => {
    fc.assert(
      fc.property(schedule, fc.nat(), fc.nat({ max: 10 ** 7 }), fc.nat({ max: 10 ** 7 }), (s, n, a, b) => {
        const attempts = (n % s.length) + 1;
        const base = s[attempts - 1] * 1000;
        const da = nextAttemptDelayMs(attempts, s, { retryAfterSeconds: Math.min(a, b) })!;
        const db = nextAttemptDelayMs(attempts, s, { retryAfterSeconds: Math.max(a, b) })!;
        expect(da).toBeGreaterThanOrEqual(Math.floor(base));
        expect(db).toBeLessThanOrEqual(Math.ceil(2 * base));
        expect(da).toBeLessThanOrEqual(db);
      }),
    );
  });

  it("property: null exactly when the schedule is exhausted", () => {
    fc.assert(
      fc.property(schedule, fc.integer({ min: 1, max: 30 }), (s, attempts) => {
        expect(nextAttemptDelayMs(attempts, s) === null).toBe(attempts > s.length);
      }),
    );
  });
});
