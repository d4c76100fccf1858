import { describe, expect, it } from "vitest";
import { parseRuleSpec, ResponseRules, validateRule } from "../../src/inspect/responses.js";

describe("response rules", () => {
  it("parses --respond specs", () => {
    expect(parseRuleSpec("/hooks/a=503,503,200;delay=250;retry-after=5")).toEqual({
      path: "/hooks/a",
      statuses: [503, 503, 200],
      delay_ms: 250,
      retry_after: 5,
    });
    expect(parseRuleSpec("/x=204")).toEqual({ path: "/x", statuses: [204], delay_ms: 0, retry_after: null });
  });

  it("names what is wrong in a bad spec", () => {
    expect(() => parseRuleSpec("503")).toThrow("PATH=STATUSES");
    expect(() => parseRuleSpec("hooks/a=200")).toThrow("path must start with /");
    expect(() => parseRuleSpec("/a=200,abc")).toThrow("each status");
    expect(() => parseRuleSpec("/a=200,")).toThrow("each status");
    expect(() => parseRuleSpec("/a=99")).toThrow("each status");
    expect(() => parseRuleSpec("/a=200;delay=-1")).toThrow("delay_ms");
    expect(() => parseRuleSpec("/a=200;wait=1")).toThrow('unknown option "wait"');
    expect(() => validateRule({ path: "/a", statuses: [] })).toThrow("statuses");
  });

  it("walks the sequence, repeats the last status and restarts when replaced", () => {
    const rules = new ResponseRules([parseRuleSpec("/a=503,503,200")]);
    expect([1, 2, 3, 4].map(() => rules.next("/a").status)).toEqual([503, 503, 200, 200]);
    expect(rules.next("/elsewhere")).toEqual({ status: 200, delay_ms: 0, retry_after: null });
    expect(rules.list()[0].served).toBe(4);
    rules.set(parseRuleSpec("/a=500,201"));
    expect([1, 2, 3].map(() => rules.next("/a").status)).toEqual([500, 201, 201]);
  });
});
