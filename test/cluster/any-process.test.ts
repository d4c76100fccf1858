import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, type Cluster, type ClusterProcess } from "../helpers/cluster.js";
import { collect, toPart, type Part } from "../runs/support.js";
import { eventually } from "./support.js";

/**
 * Two `api` processes and one `worker`: every run executes on the worker, and is created,
 * streamed, joined, waited for and cancelled through the API processes, which only share the
 * database and Redis with it.
 */
let cluster: Cluster;
let apiA: ClusterProcess;
let worker: ClusterProcess;
let apiB: ClusterProcess;

beforeAll(async () => {
  cluster = await startCluster(["api", "worker", "api"], { leaseSeconds: 3 });
  [apiA, worker, apiB] = cluster.processes;
});

afterAll(() => cluster?.dispose());

const slow = (delayMs: number) => ({ input: {}, config: { configurable: { delay_ms: delayMs } } });

/** The first `count` parts of a stream, then the connection is dropped. */
async function firstParts(stream: AsyncIterable<unknown>, count: number): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of stream) {
    parts.push(toPart(part));
    if (parts.length === count) break;
  }
  return parts;
}

/** The run's lease owner while it runs: which process executes it. */
async function executor(runId: string): Promise<string> {
  return eventually(
    async () => {
      const [row] = await cluster.query<{ lease_owner: string | null }>("SELECT lease_owner FROM runs WHERE run_id = $1 AND status = 'running'", [runId]);
      return row?.lease_owner ?? undefined;
    },
    15_000,
    `run ${runId} running`,
    20,
  );
}

describe("any process answers for any run", () => {
  it("a run streamed through A is joined through B from a partial read's Last-Event-ID: same ids, same order, nothing missing or doubled", async () => {
    const thread = await apiA.client.threads.create();
    // Five steps 150 ms apart: B's reads happen while the run is going on.
    const full: Part[] = [];
    const streaming = (async () => {
      const stream = apiA.client.runs.stream(thread.thread_id, "slow", { ...slow(150), streamMode: ["values", "updates"] });
      for await (const part of stream) full.push(toPart(part));
    })();
    const runId = await eventually(() => (full[0]?.event === "metadata" ? (full[0].data as { run_id: string }).run_id : undefined), 15_000, "the metadata event", 10);
    expect(await executor(runId)).toContain(`:${worker.pid}:`);

    const head = await firstParts(apiB.client.runs.joinStream(thread.thread_id, runId, { streamMode: ["values", "updates"] }), 3);
    const rest = await collect(apiB.client.runs.joinStream(thread.thread_id, runId, { lastEventId: head.at(-1)!.id, streamMode: ["values", "updates"] }));
    await streaming;

    const ids = (parts: Part[]) => parts.map((part) => part.id);
    expect(full.every((part) => typeof part.id === "string")).toBe(true);
    expect(new Set(ids(full)).size).toBe(full.length);
    // The join's head is the stream's first events, and head + rest is the whole stream.
    expect([...head, ...rest]).toEqual(full);
    expect(full.filter((part) => part.event === "values").at(-1)?.data).toEqual({ ticks: 5 });
    // After the end, a join from the start through B replays the same events.
    expect(await collect(apiB.client.runs.joinStream(thread.thread_id, runId, { streamMode: ["values", "updates"] }))).toEqual(full);
  });

  it("runs.wait through A answers with the final state of a run executed on the worker", async () => {
    const thread = await apiA.client.threads.create();
    const values = await apiA.client.runs.wait(thread.thread_id, "slow", slow(50));
    expect(values).toEqual({ ticks: 5 });
    const [run] = await apiB.client.runs.list(thread.thread_id);
    expect(run.status).toBe("success");
  });

  it("cancel (interrupt) through B stops a run executing on the worker; the thread keeps what it got to", async () => {
    const thread = await apiA.client.threads.create();
    const run = await apiA.client.runs.create(thread.thread_id, "slow", slow(800));
    expect(await executor(run.run_id)).toContain(`:${worker.pid}:`);
    // After two ticks are checkpointed.
    await eventually(async () => (((await apiB.client.threads.getState(thread.thread_id)).values as { ticks?: number }).ticks! >= 2 ? true : undefined), 15_000, "two ticks", 50);
    await apiB.client.runs.cancel(thread.thread_id, run.run_id, true, "interrupt");
    const ended = await apiA.client.runs.get(thread.thread_id, run.run_id);
    expect(ended.status).toBe("interrupted");
    const state = await apiA.client.threads.getState(thread.thread_id);
    const ticks = (state.values as { ticks: number }).ticks;
    expect(ticks).toBeGreaterThanOrEqual(2);
    expect(ticks).toBeLessThan(5);
    expect((await apiB.client.threads.get(thread.thread_id)).status).toBe("idle");
  });

  it("cancel (rollback) through B of a run on the worker removes the run and its checkpoints", async () => {
    const thread = await apiA.client.threads.create();
    const run = await apiA.client.runs.create(thread.thread_id, "slow", slow(800));
    expect(await executor(run.run_id)).toContain(`:${worker.pid}:`);
    await eventually(async () => (((await apiB.client.threads.getState(thread.thread_id)).values as { ticks?: number }).ticks! >= 2 ? true : undefined), 15_000, "two ticks", 50);
    await apiB.client.runs.cancel(thread.thread_id, run.run_id, true, "rollback");
    await expect(apiA.client.runs.get(thread.thread_id, run.run_id)).rejects.toThrow(/404|not found/i);
    expect((await apiA.client.runs.list(thread.thread_id)).map((r) => r.run_id)).not.toContain(run.run_id);
    // The checkpoints the run wrote are gone: the thread has no state (as before the run).
    const state = await apiA.client.threads.getState(thread.thread_id);
    expect(state.values).toEqual({});
    expect(state.checkpoint?.checkpoint_id ?? null).toBeNull();
    expect((await apiB.client.threads.get(thread.thread_id)).status).toBe("idle");
  });

  it("the thread-level stream through B sees the events of a run created through A and executed on the worker", async () => {
    const thread = await apiA.client.threads.create();
    const controller = new AbortController();
    const seen: Part[] = [];
    const reading = (async () => {
      try {
        for await (const part of apiB.client.threads.joinStream(thread.thread_id, { signal: controller.signal, lastEventId: "-" })) {
          seen.push(toPart(part));
          const data = part.data as { ticks?: number } | undefined;
          if (part.event === "values" && data?.ticks === 5) break;
        }
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    // "-": from the first retained event, so the subscription racing the run's start loses nothing.
    const run = await apiA.client.runs.create(thread.thread_id, "slow", slow(50));
    await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error(`thread stream saw ${JSON.stringify(seen)}`)), 20_000))]);
    controller.abort();
    // Exactly the run's own events (its stream, joined through A afterwards), same ids, in order.
    const own = await collect(apiA.client.runs.joinStream(thread.thread_id, run.run_id));
    expect(own.filter((part) => part.event === "values").at(-1)?.data).toEqual({ ticks: 5 });
    expect(seen).toEqual(own);
    // Ids increase: a thread-level Last-Event-ID orders every run's events.
    const ids = seen.map((part) => part.id!);
    expect(ids.every((id, i) => i === 0 || compareIds(ids[i - 1], id) < 0)).toBe(true);
  });
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am - bm || as - bs;
}
