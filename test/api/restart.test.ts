import { afterAll, describe, expect, test } from "vitest";
import { rmSync } from "node:fs";
import { tempDataDir, type TestServer } from "../helpers/server.js";
import { api, sleep, startApiServer } from "./support.js";

const dataDir = tempDataDir();
const running: TestServer[] = [];
afterAll(async () => {
  for (const server of running) await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<TestServer> {
  const server = await startApiServer({ dataDir });
  running.push(server);
  return server;
}

describe("restart on the same data directory", () => {
  test("assistants, threads, state and checkpoints, runs and store items are intact", async () => {
    const first = await start();
    const c1 = first.client;
    const assistant = await c1.assistants.create({ graphId: "two_step", name: "v1", metadata: { owner: "me" } });
    await c1.assistants.update(assistant.assistant_id, { name: "v2" });
    const thread = await c1.threads.create({ metadata: { user: "u1" } });
    const run = await c1.runs.create(thread.thread_id, assistant.assistant_id, { input: {} });
    await c1.runs.join(thread.thread_id, run.run_id);
    const paused = await c1.threads.create();
    await c1.runs.wait(paused.thread_id, "interrupt", { input: { question: "still there?" } });
    await c1.store.putItem(["restart", "ns"], "k", { kept: true });
    const shortLived = await c1.threads.create({ ttl: 0.2 / 60 }); // 0.2 s

    const before = {
      assistant: await c1.assistants.get(assistant.assistant_id),
      versions: await c1.assistants.getVersions(assistant.assistant_id),
      thread: await c1.threads.get(thread.thread_id),
      state: await c1.threads.getState(thread.thread_id),
      history: await c1.threads.getHistory(thread.thread_id, { limit: 100 }),
      run: await c1.runs.get(thread.thread_id, run.run_id),
      paused: await c1.threads.get(paused.thread_id),
      pausedState: await c1.threads.getState(paused.thread_id),
      item: await c1.store.getItem(["restart", "ns"], "k", { refreshTtl: false }),
    };
    await first.close();
    running.splice(running.indexOf(first), 1);
    await sleep(300);

    const second = await start();
    const c2 = second.client;
    expect(await c2.assistants.get(assistant.assistant_id)).toEqual(before.assistant);
    expect(await c2.assistants.getVersions(assistant.assistant_id)).toEqual(before.versions);
    expect(await c2.threads.get(thread.thread_id)).toEqual(before.thread);
    expect(await c2.threads.getState(thread.thread_id)).toEqual(before.state);
    expect(await c2.threads.getHistory(thread.thread_id, { limit: 100 })).toEqual(before.history);
    expect(await c2.runs.get(thread.thread_id, run.run_id)).toEqual(before.run);
    expect((await c2.runs.list(thread.thread_id)).map((r) => r.run_id)).toEqual([run.run_id]);
    expect(await c2.threads.get(paused.thread_id)).toEqual(before.paused);
    expect(await c2.threads.getState(paused.thread_id)).toEqual(before.pausedState);
    expect(await c2.store.getItem(["restart", "ns"], "k", { refreshTtl: false })).toEqual(before.item);
    // The system assistants are not duplicated.
    expect(await c2.assistants.count({ graphId: "two_step" })).toBe(2);

    // Work continues where it stopped: the paused thread resumes, the thread runs again.
    const resumed = await c2.runs.wait(paused.thread_id, "interrupt", { command: { resume: "yes" } });
    expect(resumed).toMatchObject({ answer: "yes" });
    await c2.runs.wait(thread.thread_id, assistant.assistant_id, { input: {} });
    expect((await c2.threads.getState(thread.thread_id)).values).toMatchObject({ count: 22 });

    // A thread past its ttl is deleted when the server starts.
    expect((await api(second, "GET", `/threads/${shortLived.thread_id}`)).status).toBe(404);
  });
});
