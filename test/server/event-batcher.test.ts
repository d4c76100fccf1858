import { describe, expect, test } from "vitest";
import { EventBatcher, type RunEvent } from "../../src/server/worker-pool/event-batcher.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const event = (n: number): RunEvent => ["run", "custom", n];

function recorder() {
  const sent: number[][] = [];
  const batcher = new EventBatcher((events) => sent.push(events.map(([, , data]) => data as number)));
  return { sent, batcher };
}

describe("EventBatcher", () => {
  test("sends the first event at once and the rest of the turn together at its end", async () => {
    const { sent, batcher } = recorder();
    for (const n of [1, 2, 3]) batcher.add(event(n));
    expect(sent).toEqual([[1]]);
    await nextTurn();
    expect(sent).toEqual([[1], [2, 3]]);
  });

  test("after a turn without events, the next event goes at once again", async () => {
    const { sent, batcher } = recorder();
    batcher.add(event(1));
    await nextTurn();
    await nextTurn();
    batcher.add(event(2));
    expect(sent).toEqual([[1], [2]]);
  });

  test("a long burst goes in messages of at most 32 events, in order", async () => {
    const { sent, batcher } = recorder();
    for (let n = 0; n < 100; n += 1) batcher.add(event(n));
    await nextTurn();
    expect(sent.map((batch) => batch.length)).toEqual([1, 32, 32, 32, 3]);
    expect(sent.flat()).toEqual(Array.from({ length: 100 }, (_, n) => n));
  });

  test("flush sends what is held before anything that must follow it", () => {
    const { sent, batcher } = recorder();
    for (const n of [1, 2, 3]) batcher.add(event(n));
    batcher.flush();
    expect(sent).toEqual([[1], [2, 3]]);
  });
});
