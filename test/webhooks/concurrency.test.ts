import { describe, expect, it } from "vitest";
import { KeyedLimiter } from "../../src/webhooks/concurrency.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("KeyedLimiter", () => {
  it("bounds tasks per key and in total, queues the rest, and forgets idle keys", async () => {
    const limiter = new KeyedLimiter(2, 3);
    const running = new Map<string, number>();
    let total = 0;
    let maxTotal = 0;
    const maxPerKey = new Map<string, number>();
    const task = (key: string) => async () => {
      running.set(key, (running.get(key) ?? 0) + 1);
      total++;
      maxTotal = Math.max(maxTotal, total);
      maxPerKey.set(key, Math.max(maxPerKey.get(key) ?? 0, running.get(key)!));
      await tick();
      running.set(key, running.get(key)! - 1);
      total--;
      return key;
    };
    const keys = ["a", "a", "a", "a", "b", "b", "b", "c", "c"];
    const results = await Promise.all(keys.map((k) => limiter.run(k, task(k))));
    expect(results).toEqual(keys);
    expect(maxTotal).toBe(3);
    expect(Math.max(...maxPerKey.values())).toBe(2);
    expect(limiter.keys).toBe(0);
  });

  it("releases slots when a task throws", async () => {
    const limiter = new KeyedLimiter(1, 1);
    await expect(limiter.run("a", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run("a", async () => "next")).resolves.toBe("next");
  });
});
