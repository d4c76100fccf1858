import { describe, expect, test } from "vitest";
import { RecentEnds } from "../../src/queue/recent-ends.js";

const end = (output: string) => ({ status: "success" as const, output: { value: output } });

describe("RecentEnds", () => {
  test("answers a recent run's end until it is older than the age limit", () => {
    const recent = new RecentEnds(1_000, 10);
    recent.add("a", end("a"), 0);
    expect(recent.get("a", 999)).toEqual(end("a"));
    expect(recent.get("a", 1_000)).toBeUndefined();
  });

  test("keeps at most the count limit, dropping the runs that ended first", () => {
    const recent = new RecentEnds(60_000, 3);
    for (const id of ["a", "b", "c", "d"]) recent.add(id, end(id), 0);
    expect(recent.get("a", 0)).toBeUndefined();
    expect(["b", "c", "d"].map((id) => recent.get(id, 0)?.output)).toEqual([{ value: "b" }, { value: "c" }, { value: "d" }]);
  });

  test("an unknown run has no end", () => {
    expect(new RecentEnds().get("nope")).toBeUndefined();
  });
});
