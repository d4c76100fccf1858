import { beforeAll, describe, expect, test } from "vitest";
import { postJson, useRunsServer } from "./support.js";

const server = useRunsServer();
let threadId: string;

beforeAll(async () => {
  threadId = (await server.client.threads.create()).thread_id;
});

const ENDPOINTS = ["/runs", "/runs/wait", "/runs/stream"];
const threadEndpoints = () => ENDPOINTS.map((path) => `/threads/${threadId}${path}`);

/** Nothing half-written: the refused requests left no run and no busy thread. */
async function expectNothingWritten(): Promise<void> {
  expect(await server.client.runs.list(threadId)).toEqual([]);
  expect((await server.client.threads.get(threadId)).status).toBe("idle");
}

describe("refused run requests", () => {
  test("an unknown assistant is 404 {detail} on every run endpoint", async () => {
    for (const path of [...threadEndpoints(), ...ENDPOINTS]) {
      const response = await postJson(`${server.url}${path}`, { assistant_id: "no-such-graph", input: {} });
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ detail: expect.stringContaining("no-such-graph") });
    }
    const unknownId = crypto.randomUUID();
    await expect(server.client.runs.create(threadId, unknownId)).rejects.toMatchObject({ status: 404 });
    await expectNothingWritten();
  });

  test("an unknown assistant with if_not_exists create creates no thread", async () => {
    const newThread = crypto.randomUUID();
    const response = await postJson(`${server.url}/threads/${newThread}/runs`, { assistant_id: "no-such-graph", if_not_exists: "create" });
    expect(response.status).toBe(404);
    await expect(server.client.threads.get(newThread)).rejects.toMatchObject({ status: 404 });
  });

  test.each([
    ["an unknown stream_mode", { stream_mode: "everything" }, "stream_mode"],
    ["an unknown stream_mode in a list", { stream_mode: ["values", "everything"] }, "stream_mode"],
    ["a negative after_seconds", { after_seconds: -1 }, "after_seconds"],
    ["metadata that is not an object", { metadata: "x" }, "metadata"],
    ["config that is not an object", { config: [1] }, "config"],
    ["an unknown multitask_strategy", { multitask_strategy: "sometimes" }, "multitask_strategy"],
    ["an unknown on_disconnect", { on_disconnect: "explode" }, "on_disconnect"],
    ["a non-boolean stream_subgraphs", { stream_subgraphs: "maybe" }, "stream_subgraphs"],
    ["an unknown durability", { durability: "forever" }, "durability"],
    ["an interrupt_before that is neither \"*\" nor a list", { interrupt_before: { node: "first" } }, "interrupt_before"],
    ["an unknown command field", { command: { resume: 1, jump: "x" } }, "command"],
    ["an unknown if_not_exists", { if_not_exists: "maybe" }, "if_not_exists"],
    // JSON bodies are not coerced: a number is not an assistant id, a number is not a list of nodes.
    ["a numeric assistant_id", { assistant_id: 123 }, "assistant_id"],
    ["a number as interrupt_before", { interrupt_before: 5 }, "interrupt_before"],
  ])("%s is 422 naming the field", async (_what, fields, field) => {
    for (const path of threadEndpoints()) {
      const response = await postJson(`${server.url}${path}`, { assistant_id: "two_step", input: {}, ...fields });
      expect(response.status, path).toBe(422);
      expect(((await response.json()) as { detail: string }).detail).toContain(field);
    }
    await expectNothingWritten();
  });

  test("a missing assistant_id, a malformed body or thread id is 422", async () => {
    const missing = await postJson(`${server.url}/threads/${threadId}/runs`, { input: {} });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { detail: string }).detail).toContain("assistant_id");
    const malformed = await fetch(`${server.url}/runs/wait`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(malformed.status).toBe(422);
    const badThread = await postJson(`${server.url}/threads/not-a-uuid/runs`, { assistant_id: "two_step" });
    expect(badThread.status).toBe(422);
    expect(((await badThread.json()) as { detail: string }).detail).toContain("thread_id");
    await expectNothingWritten();
  });

  test("stateless-only and stateful-only fields are checked where they apply", async () => {
    const response = await postJson(`${server.url}/runs`, { assistant_id: "two_step", on_completion: "archive" });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: string }).detail).toContain("on_completion");
  });

  test("bad query values on cancel and join are 422", async () => {
    const run = await server.client.runs.create(threadId, "two_step", { input: {} });
    await server.client.runs.join(threadId, run.run_id);
    const action = await fetch(`${server.url}/threads/${threadId}/runs/${run.run_id}/cancel?action=explode`, { method: "POST" });
    expect(action.status).toBe(422);
    expect(((await action.json()) as { detail: string }).detail).toContain("action");
    const wait = await fetch(`${server.url}/threads/${threadId}/runs/${run.run_id}/cancel?wait=perhaps`, { method: "POST" });
    expect(wait.status).toBe(422);
    await server.client.runs.delete(threadId, run.run_id);
  });

  test("a batch with one refused item creates none of its runs", async () => {
    const threadsBefore = await server.client.threads.count();
    const response = await postJson(`${server.url}/runs/batch`, [
      { assistant_id: "two_step", input: {}, on_completion: "keep" },
      { assistant_id: "two_step", input: {}, on_completion: "keep", webhook: "ftp://127.0.0.1/hook" },
    ]);
    expect(response.status).toBe(422);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/^body\.1\.webhook/);
    const unknown = await postJson(`${server.url}/runs/batch`, [
      { assistant_id: "two_step", input: {}, on_completion: "keep" },
      { assistant_id: "no-such-graph", input: {} },
    ]);
    expect(unknown.status).toBe(404);
    expect(await server.client.threads.count()).toBe(threadsBefore);
  });
});
