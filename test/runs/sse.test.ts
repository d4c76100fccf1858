import { describe, expect, test } from "vitest";
import type { Client } from "@langchain/langgraph-sdk";
import { SLOW, collect, eventually, names, parseFrames, postJson, startRunsServer, toPart, useRunsServer, type Part } from "./support.js";
import { HEARTBEAT } from "../../src/http/sse.js";

const HEARTBEAT_MS = 100;

const server = useRunsServer({ sseHeartbeatMs: HEARTBEAT_MS });

/** Reads a response body until `until` holds for the text so far; leaves the stream open. */
async function readUntil(response: Response, until: (text: string) => boolean, timeoutMs = 10_000): Promise<{ text: string; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!until(text)) {
    if (Date.now() > deadline) throw new Error(`not seen in time; got ${JSON.stringify(text)}`);
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return { text, reader };
}

describe("SSE framing (raw bytes)", () => {
  test("event/data/id lines ended by CRLF, a blank line between events; headers as the Python server", async () => {
    const thread = await server.client.threads.create();
    const response = await postJson(`${server.url}/threads/${thread.thread_id}/runs/stream`, { assistant_id: "two_step", input: {}, stream_mode: "updates" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const location = response.headers.get("location")!;
    const runPath = response.headers.get("content-location")!;
    // Same-origin paths the SDK resolves against its own base URL.
    expect(runPath).toMatch(new RegExp(`^/threads/${thread.thread_id}/runs/[0-9a-f-]{36}$`));
    expect(location).toBe(`${runPath}/stream`);
    const runId = runPath.split("/").at(-1);

    // A loaded machine can make the run outlast the heartbeat interval: comments may come between events.
    const text = (await response.text()).replaceAll(HEARTBEAT, "");
    const ids = [...text.matchAll(/\r\nid: (\d+-\d+)\r\n/g)].map((match) => match[1]);
    expect(ids).toHaveLength(3);
    expect(text).toBe(
      `event: metadata\r\ndata: {"run_id":"${runId}","attempt":1}\r\nid: ${ids[0]}\r\n\r\n` +
        `event: updates\r\ndata: {"first":{"count":1,"steps":["first"]}}\r\nid: ${ids[1]}\r\n\r\n` +
        `event: updates\r\ndata: {"second":{"count":10,"steps":["second"]}}\r\nid: ${ids[2]}\r\n\r\n`,
    );
    // Ids increase, so a client can resume after any of them.
    const keys = ids.map((id) => id.split("-").map(Number));
    for (let i = 1; i < keys.length; i += 1) {
      expect(keys[i][0] > keys[i - 1][0] || (keys[i][0] === keys[i - 1][0] && keys[i][1] > keys[i - 1][1])).toBe(true);
    }
  });

  test("an idle stream gets `: heartbeat` comments (interval from the server options)", async () => {
    const thread = await server.client.threads.create();
    const started = Date.now();
    const response = await postJson(`${server.url}/threads/${thread.thread_id}/runs/stream`, {
      assistant_id: "slow",
      input: {},
      stream_mode: "updates",
      config: SLOW(400),
    });
    const { text, reader } = await readUntil(response, (soFar) => soFar.includes(": heartbeat\r\n\r\n"));
    expect(Date.now() - started).toBeLessThan(400 * 5);
    // The heartbeat is a frame of its own, between events.
    expect(parseFrames(text).some((frame) => frame.comment === "heartbeat" && frame.event === undefined)).toBe(true);
    await reader.cancel();
  });

  test("wait keeps its connection alive with leading newlines, then the JSON answer", async () => {
    const thread = await server.client.threads.create();
    const response = await postJson(`${server.url}/threads/${thread.thread_id}/runs/wait`, { assistant_id: "slow", input: {}, config: SLOW(100) });
    const text = await response.text();
    expect(text).toMatch(/^\n+\{/);
    expect(JSON.parse(text)).toEqual({ ticks: 5 });
  });

  test("the SDK reads the framing: ids, and control lines skipped", async () => {
    const thread = await server.client.threads.create();
    const parts = await collect(server.client.runs.stream(thread.thread_id, "slow", { input: {}, streamMode: "updates", config: SLOW(150) }));
    expect(names(parts)).toEqual(["metadata", "updates", "updates", "updates", "updates", "updates"]);
    expect(parts.every((part) => /^\d+-\d+$/.test(part.id ?? ""))).toBe(true);
  });
});

describe("joining a stream", () => {
  async function firstParts(stream: AsyncIterable<unknown>, count: number): Promise<Part[]> {
    const seen: Part[] = [];
    for await (const part of stream) {
      seen.push(toPart(part));
      if (seen.length === count) break;
    }
    return seen;
  }

  test("thread run: joinStream replays everything; with lastEventId it resumes right after that event", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "slow", { input: {}, streamMode: ["updates"], config: SLOW(150) });
    const head = await firstParts(server.client.runs.joinStream(thread.thread_id, run.run_id), 2);
    expect(names(head)).toEqual(["metadata", "updates"]);
    const rest = await collect(server.client.runs.joinStream(thread.thread_id, run.run_id, { lastEventId: head[1].id }));
    expect(names(rest)).toEqual(["updates", "updates", "updates", "updates"]);
    const all = await collect(server.client.runs.joinStream(thread.thread_id, run.run_id));
    expect([...head, ...rest]).toEqual(all);
    expect(all.map((part) => part.data).slice(1)).toEqual(Array.from({ length: 5 }, () => ({ tick: { ticks: 1 } })));
  });

  test("stateless run: joinStream(null, id) with lastEventId, also after the run (and its thread) are gone", async () => {
    const run = await server.client.runs.create(null, "slow", { input: {}, streamMode: ["updates"], config: SLOW(100) });
    const head = await firstParts(server.client.runs.joinStream(null, run.run_id), 3);
    const rest = await collect(server.client.runs.joinStream(null, run.run_id, { lastEventId: head[2].id }));
    expect(names([...head, ...rest])).toEqual(["metadata", "updates", "updates", "updates", "updates", "updates"]);
    await expect(server.client.threads.get(run.thread_id)).rejects.toMatchObject({ status: 404 });
    const again = await collect(server.client.runs.joinStream(null, run.run_id, { lastEventId: head[0].id }));
    expect(again).toEqual([head[1], head[2], ...rest]);
  });

  test("join stream filters by stream_mode; metadata always passes", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "custom", { input: {}, streamMode: ["custom", "updates"] });
    const onlyCustom = await collect(server.client.runs.joinStream(thread.thread_id, run.run_id, { streamMode: "custom" }));
    expect(names(onlyCustom)).toEqual(["metadata", "custom", "custom", "custom"]);
  });

  test("joining an unknown run is 404", async () => {
    const thread = await server.client.threads.create();
    const response = await fetch(`${server.url}/threads/${thread.thread_id}/runs/${crypto.randomUUID()}/stream`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: expect.any(String) });
    expect((await fetch(`${server.url}/runs/${crypto.randomUUID()}/stream`)).status).toBe(404);
  });
});

describe("on_disconnect", () => {
  const status = (threadId: string, runId: string) => server.client.runs.get(threadId, runId).then((run) => run.status);

  /** Reads until the metadata event, then drops the connection (the SDK only closes it on abort). */
  async function leaveAfterMetadata(stream: (signal: AbortSignal) => AsyncIterable<unknown>): Promise<void> {
    const controller = new AbortController();
    try {
      for await (const part of stream(controller.signal)) {
        if (toPart(part).event === "metadata") controller.abort();
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  }

  async function disconnectAfterFirstEvent(threadId: string, payload: Parameters<Client["runs"]["stream"]>[2]): Promise<string> {
    let runId = "";
    await leaveAfterMetadata((signal) =>
      server.client.runs.stream(threadId, "slow", { ...payload, signal, onRunCreated: (meta) => (runId = meta.run_id) }),
    );
    return runId;
  }

  test("default continue: a client that goes away does not stop the run", async () => {
    const thread = await server.client.threads.create();
    const runId = await disconnectAfterFirstEvent(thread.thread_id, { input: {}, config: SLOW(60) });
    expect(await eventually(() => status(thread.thread_id, runId), (s) => s !== "pending" && s !== "running")).toBe("success");
    expect((await server.client.threads.get(thread.thread_id)).values).toEqual({ ticks: 5 });
  });

  test("a client that stops reading (connection open) does not stop the run", async () => {
    const thread = await server.client.threads.create();
    const response = await postJson(`${server.url}/threads/${thread.thread_id}/runs/stream`, { assistant_id: "slow", input: {}, config: SLOW(60) });
    const runId = response.headers.get("content-location")!.split("/").at(-1)!;
    const { reader } = await readUntil(response, (text) => text.includes("event: metadata"));
    expect(await eventually(() => status(thread.thread_id, runId), (s) => s === "success")).toBe("success");
    await reader.cancel();
  });

  test("cancel: the run is interrupted when the streaming client goes away", async () => {
    const thread = await server.client.threads.create();
    const runId = await disconnectAfterFirstEvent(thread.thread_id, { input: {}, config: SLOW(300), onDisconnect: "cancel" });
    expect(await eventually(() => status(thread.thread_id, runId), (s) => s !== "pending" && s !== "running")).toBe("interrupted");
    expect(((await server.client.threads.get(thread.thread_id)).values as { ticks?: number } | null)?.ticks ?? 0).toBeLessThan(5);
  });

  test("wait with on_disconnect cancel: the run is interrupted when the waiting client leaves", async () => {
    const thread = await server.client.threads.create();
    const controller = new AbortController();
    const waiting = server.client.runs.wait(thread.thread_id, "slow", { input: {}, config: SLOW(300), onDisconnect: "cancel", signal: controller.signal });
    const [run] = await eventually(
      () => server.client.runs.list(thread.thread_id),
      (runs) => runs[0]?.status === "running",
    );
    controller.abort();
    await expect(waiting).rejects.toThrow();
    expect(await eventually(() => status(thread.thread_id, run.run_id), (s) => s !== "pending" && s !== "running")).toBe("interrupted");
  });

  test("joinStream with cancelOnDisconnect cancels the run when the reader leaves", async () => {
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "slow", { input: {}, config: SLOW(300) });
    await leaveAfterMetadata((signal) => server.client.runs.joinStream(thread.thread_id, run.run_id, { cancelOnDisconnect: true, signal }));
    expect(await eventually(() => status(thread.thread_id, run.run_id), (s) => s !== "pending" && s !== "running")).toBe("interrupted");
  });
});

describe("server shutdown", () => {
  test("closing the server ends open streams and waits instead of hanging on them", async () => {
    const closing = await startRunsServer();
    const thread = await closing.client.threads.create();
    const other = await closing.client.threads.create();
    const stream = await postJson(`${closing.url}/threads/${thread.thread_id}/runs/stream`, { assistant_id: "slow", input: {}, config: SLOW(5_000) });
    const { reader } = await readUntil(stream, (text) => text.includes("event: metadata"));
    // Settled as a value at once: the connection may close before anything awaits it.
    const wait = postJson(`${closing.url}/threads/${other.thread_id}/runs/wait`, { assistant_id: "slow", input: {}, config: SLOW(5_000) }).then(
      (response) => response.text(),
    ).then(
      (body) => ({ answered: body }),
      () => ({ closed: true }),
    );
    await eventually(
      () => closing.client.runs.list(other.thread_id),
      (runs) => runs[0]?.status === "running",
    );
    const started = Date.now();
    await closing.dispose();
    expect(Date.now() - started).toBeLessThan(4_000);
    // The stream ends; the wait gets no (partial) answer, only a closed connection.
    for (;;) if ((await reader.read()).done) break;
    expect(await wait).toEqual({ closed: true });
  });
});
