import { beforeAll, describe, expect, it } from "vitest";
import { speedUpThreadGlobals } from "../../src/server/worker-pool/thread-globals.js";

// Graph worker threads call this at start; a test file runs in a process of its own (vitest forks).
beforeAll(() => {
  process.env.HOOKGRAPH_THREAD_GLOBALS_TEST = "before";
  speedUpThreadGlobals();
});

describe("crypto.getRandomValues from a pool", () => {
  it("fills and returns the array it was given, never the same bytes twice", () => {
    expect(Object.hasOwn(crypto, "getRandomValues")).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const array = new Uint8Array(16);
      expect(crypto.getRandomValues(array)).toBe(array);
      seen.add(Buffer.from(array).toString("hex"));
    }
    // 2,000 draws of 128 bits: any repeat means served bytes were reused (the pool holds 256 of them).
    expect(seen.size).toBe(2000);
  });

  it("draws bytes that look random (every byte value occurs, none dominates)", () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4096; i += 1) for (const byte of crypto.getRandomValues(new Uint8Array(16))) counts[byte] += 1;
    // 65,536 bytes: 256 expected per value.
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(Math.max(...counts)).toBeLessThan(380);
  });

  it("leaves other requests, and their errors, to the original", () => {
    const big = crypto.getRandomValues(new Uint8Array(1024));
    expect(big.some((byte) => byte !== 0)).toBe(true);
    const words = crypto.getRandomValues(new Uint32Array(8));
    expect(words.some((word) => word !== 0)).toBe(true);
    expect(() => crypto.getRandomValues(new Float32Array(4) as unknown as Uint8Array<ArrayBuffer>)).toThrow(expect.objectContaining({ name: "TypeMismatchError" }));
    expect(() => crypto.getRandomValues(new Uint8Array(65_537))).toThrow(expect.objectContaining({ name: "QuotaExceededError" }));
    expect(crypto.randomUUID()).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("process.env as a plain object", () => {
  it("keeps the environment's entries, and takes writes and deletes", () => {
    // The real environment object would have turned the number into "1".
    (process.env as Record<string, unknown>).HOOKGRAPH_THREAD_GLOBALS_NUMBER = 1;
    expect(process.env.HOOKGRAPH_THREAD_GLOBALS_NUMBER).toBe(1);
    expect(process.env.HOOKGRAPH_THREAD_GLOBALS_TEST).toBe("before");
    expect(process.env.PATH).toBeTruthy();
    process.env.HOOKGRAPH_THREAD_GLOBALS_TEST = "after";
    expect(process.env.HOOKGRAPH_THREAD_GLOBALS_TEST).toBe("after");
    delete process.env.HOOKGRAPH_THREAD_GLOBALS_TEST;
    expect("HOOKGRAPH_THREAD_GLOBALS_TEST" in process.env).toBe(false);
  });
});
