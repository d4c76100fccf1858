import { describe, expect, test } from "vitest";
import { randomUUID } from "node:crypto";
import { api, useServer } from "./support.js";

const server = useServer();
const client = () => server().client;

interface SseEvent {
  id: string;
  event: string;
  data: unknown;
}

/** Opens the thread stream with fetch; resolves once the server has subscribed (headers received). */
async function openThreadStream(threadId: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${server().url}/threads/${threadId}/stream`, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replaceAll("\r\n", "\n");
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = Object.fromEntries(
            block
              .split("\n")
              .filter((line) => !line.startsWith(":") && line.includes(":"))
              .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 1).trimStart()]),
          );
          if (fields.event === undefined) continue;
          events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
          for (const wake of waiters) wake();
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    /** Waits until an event satisfies `match`; returns its index. */
    async until(match: (event: SseEvent) => boolean, timeoutMs = 10_000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex(match);
        if (index !== -1) return index;
        if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events.map((e) => e.event))}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 50);
        });
      }
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

const finalTwoStep = (event: SseEvent) =>
  event.event === "values" && (event.data as { count?: number }).count !== undefined && (event.data as { steps: string[] }).steps.length % 2 === 0 && (event.data as { steps: string[] }).steps.length > 0;

describe("thread stream", () => {
  test("a live subscriber sees every event of the runs started on the thread, in order", async () => {
    const thread = await client().threads.create();
    const stream = await openThreadStream(thread.thread_id);
    try {
      const first = await client().runs.create(thread.thread_id, "two_step", { input: {}, streamMode: ["values", "updates"] });
      await stream.until((e) => finalTwoStep(e) && (e.data as { count: number }).count === 11);
      const second = await client().runs.create(thread.thread_id, "two_step", { input: {}, streamMode: ["values"] });
      await stream.until((e) => e.event === "values" && (e.data as { count: number }).count === 22);

      const metadata = stream.events.filter((e) => e.event === "metadata").map((e) => (e.data as { run_id: string }).run_id);
      expect(metadata).toEqual([first.run_id, second.run_id]);
      const updates = stream.events.filter((e) => e.event === "updates").map((e) => Object.keys(e.data as object)[0]);
      expect(updates).toEqual(["first", "second"]);
      // Ids increase strictly: `<ms>-<seq>`, compared part by part.
      const keys = stream.events.map((e) => e.id.split("-").map(Number));
      for (let i = 1; i < keys.length; i += 1) {
        const [a, b] = [keys[i - 1], keys[i]];
        expect(b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]), `${stream.events[i - 1].id} < ${stream.events[i].id}`).toBe(true);
      }
    } finally {
      await stream.close();
    }
  });

  test("Last-Event-ID resumes after that event; '-' replays from the beginning", async () => {
    const thread = await client().threads.create();
    const live = await openThreadStream(thread.thread_id);
    let seen: SseEvent[];
    try {
      await client().runs.create(thread.thread_id, "two_step", { input: {}, streamMode: ["values"] });
      await live.until((e) => e.event === "values" && (e.data as { count?: number }).count === 11);
      seen = [...live.events];
    } finally {
      await live.close();
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);

    const resumed = await openThreadStream(thread.thread_id, { "Last-Event-ID": seen[0].id });
    try {
      await resumed.until((e) => e.id === seen.at(-1)!.id);
      expect(resumed.events.map((e) => e.id)).toEqual(seen.slice(1).map((e) => e.id));
    } finally {
      await resumed.close();
    }

    const replayed = await openThreadStream(thread.thread_id, { "Last-Event-ID": "-" });
    try {
      await replayed.until((e) => e.id === seen.at(-1)!.id);
      expect(replayed.events.map((e) => e.id)).toEqual(seen.map((e) => e.id));
    } finally {
      await replayed.close();
    }
  });

  test("the SDK's joinStream receives a run's events", async () => {
    const thread = await client().threads.create();
    const run = await client().runs.create(thread.thread_id, "two_step", { input: {}, streamMode: ["values"] });
    const controller = new AbortController();
    const received: { event: string; data: unknown }[] = [];
    try {
      for await (const part of client().threads.joinStream(thread.thread_id, { lastEventId: "-", signal: controller.signal })) {
        received.push(part);
        if (part.event === "values" && (part.data as { count?: number }).count === 11) break;
      }
    } finally {
      controller.abort();
    }
    expect(received[0]).toMatchObject({ event: "metadata", data: { run_id: run.run_id } });
    expect(received.at(-1)).toMatchObject({ event: "values", data: { count: 11, steps: ["first", "second"] } });
  });

  test("an unknown thread is 404; an unsupported stream mode is 422", async () => {
    const missing = await api<{ detail: string }>(server(), "GET", `/threads/${randomUUID()}/stream`);
    expect(missing.status).toBe(404);
    const thread = await client().threads.create();
    const unsupported = await api<{ detail: string }>(server(), "GET", `/threads/${thread.thread_id}/stream?stream_modes=lifecycle`);
    expect(unsupported.status).toBe(422);
    expect(unsupported.body.detail).toContain("lifecycle");
    const bogus = await api<{ detail: string }>(server(), "GET", `/threads/${thread.thread_id}/stream?stream_modes=bogus`);
    expect(bogus.status).toBe(422);
  });
});
