import { describe, expect, test } from "vitest";
import { RecentItems } from "../src/recent-items.js";

describe("RecentItems", () => {
  test("keeps an item until it is older than the age limit", () => {
    const recent = new RecentItems<string, number>({ maxAgeMs: 1_000, maxCount: 10 });
    recent.add("a", 1, 0, 0);
    expect(recent.get("a", 999)).toBe(1);
    expect(recent.get("a", 1_000)).toBeUndefined();
  });

  test("keeps at most the count limit, dropping the oldest, and says what it dropped", () => {
    const dropped: string[] = [];
    const recent = new RecentItems<string, number>({ maxAgeMs: 60_000, maxCount: 3 }, (key) => dropped.push(key));
    ["a", "b", "c", "d"].forEach((key, i) => recent.add(key, i, 0, 0));
    expect(["a", "b", "c", "d"].map((key) => recent.get(key, 0))).toEqual([undefined, 1, 2, 3]);
    expect(dropped).toEqual(["a"]);
  });

  test("keeps at most the weight limit, counting an item added again once", () => {
    const recent = new RecentItems<string, string>({ maxAgeMs: 60_000, maxCount: 10, maxWeight: 100 });
    recent.add("a", "a", 40, 0);
    recent.add("a", "a again", 40, 0);
    recent.add("b", "b", 40, 0);
    expect([recent.get("a", 0), recent.get("b", 0)]).toEqual(["a again", "b"]);
    recent.add("c", "c", 40, 0);
    expect(["a", "b", "c"].map((key) => recent.get(key, 0))).toEqual([undefined, "b", "c"]);
  });

  test("clear forgets everything without reporting drops; an unknown key has nothing", () => {
    const dropped: string[] = [];
    const recent = new RecentItems<string, number>({ maxAgeMs: 60_000, maxCount: 1, maxWeight: 10 }, (key) => dropped.push(key));
    recent.add("a", 1, 10, 0);
    recent.clear();
    recent.add("b", 2, 10, 0);
    expect([recent.get("a", 0), recent.get("b", 0), recent.get("nope", 0)]).toEqual([undefined, 2, undefined]);
    expect(dropped).toEqual([]);
  });
});
