import { afterEach, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { WEBHOOK_PAYLOAD_FIELDS } from "../../src/webhooks/payload.js";
import { deliveriesOf, disposeAll, HUMAN, receiver, settledDelivery, sleep, startWebhookServer } from "./e2e-support.js";

afterEach(disposeAll);

const TOKEN = "tok-3f9a1c77e2";

/** True when any object in `value` has LangChain's constructor serialisation. */
function hasLcConstructor(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasLcConstructor);
  if (value === null || typeof value !== "object") return false;
  const record = value as Record<string, unknown>;
  if ("lc" in record && record.type === "constructor") return true;
  return Object.values(record).some(hasLcConstructor);
}

describe("webhook on run completion", () => {
  it("client.runs.stream(thread, 'echo', {streamMode: 'events', webhook}) delivers once, URL and token intact", async () => {
    const r = await receiver();
    const server = await startWebhookServer();
    const thread = await server.client.threads.create();
    const webhook = `${r.origin}/my-webhook-endpoint?token=${TOKEN}&team=a%20b`;
    let runId: string | undefined;
    for await (const chunk of server.client.runs.stream(thread.thread_id, "echo", {
      input: HUMAN("hello"),
      streamMode: "events",
      webhook,
    })) {
      if (chunk.event === "metadata") runId = (chunk.data as { run_id: string }).run_id;
    }
    const [request] = await r.waitFor(1);
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`/my-webhook-endpoint?token=${TOKEN}&team=a%20b`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["user-agent"]).toBe(`hookgraph/${VERSION}`);
    expect(request.headers["webhook-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(request.headers["webhook-timestamp"])).toBeCloseTo(Date.now() / 1000, -1);
    expect(request.headers["webhook-signature"]).toBeUndefined(); // no signing_secret configured

    const payload = JSON.parse(request.body);
    expect(payload.run_id).toBe(runId);
    expect(payload.thread_id).toBe(thread.thread_id);
    expect(payload.status).toBe("success");
    expect(payload.kwargs.webhook).toBe(webhook);
    expect(payload.kwargs.stream_mode).toEqual(["events"]);

    // Exactly one delivery, and no second POST later.
    await sleep(300);
    expect(r.requests).toHaveLength(1);
    const deliveries = await deliveriesOf(server, runId!);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ delivery_id: request.headers["webhook-id"], status: "succeeded", attempt_count: 1 });
  });

  it("sends the Run's fields plus run_started_at, run_ended_at, webhook_sent_at and values shaped like GET /threads/{id}/state", async () => {
    const r = await receiver();
    const server = await startWebhookServer();
    const thread = await server.client.threads.create();
    const run = await server.client.runs.create(thread.thread_id, "echo", {
      input: HUMAN("shape"),
      metadata: { customer: "c-1" },
      config: { configurable: { user_setting: 7 } },
      multitaskStrategy: "enqueue",
      webhook: `${r.origin}/hook`,
    });
    const [request] = await r.waitFor(1);
    const payload = JSON.parse(request.body);

    // Field set and order as the Python server sends them (no error on success).
    expect(Object.keys(payload)).toEqual(WEBHOOK_PAYLOAD_FIELDS.filter((field) => field !== "error"));
    expect(payload).toMatchObject({
      run_id: run.run_id,
      thread_id: thread.thread_id,
      assistant_id: run.assistant_id,
      created_at: run.created_at,
      status: "success",
      metadata: { customer: "c-1" },
      multitask_strategy: "enqueue",
    });
    for (const key of ["input", "command", "config", "context", "stream_mode", "webhook"]) expect(payload.kwargs).toHaveProperty(key);
    expect(payload.kwargs.input).toEqual(HUMAN("shape"));
    expect(payload.kwargs.config.configurable.user_setting).toBe(7);

    const started = Date.parse(payload.run_started_at);
    const ended = Date.parse(payload.run_ended_at);
    const sent = Date.parse(payload.webhook_sent_at);
    expect(Date.parse(payload.created_at)).toBeLessThanOrEqual(started);
    expect(started).toBeLessThanOrEqual(ended);
    expect(ended).toBeLessThanOrEqual(sent);
    expect(sent).toBeLessThanOrEqual(request.receivedAt);
    expect(payload.updated_at).toBe(payload.run_ended_at);

    const state = await server.client.threads.getState(thread.thread_id);
    expect(payload.values).toEqual(state.values);
    const messages = payload.values.messages as Array<Record<string, unknown>>;
    expect(messages.map((m) => [m.type, m.content])).toEqual([
      ["human", "shape"],
      ["ai", "echo: shape"],
    ]);
    for (const message of messages) expect(typeof message.id).toBe("string");
    expect(hasLcConstructor(payload)).toBe(false);
    expect(request.body).not.toContain('"lc":1');

    // The run as the API shows it afterwards agrees with the payload.
    const stored = await server.client.runs.get(thread.thread_id, run.run_id);
    expect(stored.status).toBe("success");
  });

  it("delivers from every run-creating endpoint, stateless runs with their final values", async () => {
    const r = await receiver();
    const server = await startWebhookServer();
    const thread = await server.client.threads.create();
    const hook = (name: string) => `${r.origin}/hook/${name}?token=${TOKEN}`;
    const body = (name: string) => ({ assistant_id: "echo", input: HUMAN(name), webhook: hook(name) });
    const drain = async (path: string, payload: unknown) => {
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
      });
      expect(response.status, path).toBe(200);
      await response.text();
    };

    await drain(`/threads/${thread.thread_id}/runs`, body("thread-create"));
    await drain(`/threads/${thread.thread_id}/runs/stream`, body("thread-stream"));
    await drain(`/threads/${thread.thread_id}/runs/wait`, body("thread-wait"));
    await drain("/runs", body("stateless-create"));
    await drain("/runs/stream", body("stateless-stream"));
    await drain("/runs/wait", body("stateless-wait"));
    await drain("/runs/batch", [body("batch-1"), body("batch-2")]);

    const names = ["thread-create", "thread-stream", "thread-wait", "stateless-create", "stateless-stream", "stateless-wait", "batch-1", "batch-2"];
    const requests = await r.waitFor(names.length);
    await sleep(300);
    expect(r.requests).toHaveLength(names.length);
    const byPath = new Map(requests.map((request) => [request.url, JSON.parse(request.body)]));
    for (const name of names) {
      const payload = byPath.get(`/hook/${name}?token=${TOKEN}`);
      expect(payload, name).toBeDefined();
      expect(payload.status, name).toBe("success");
      // Stateless runs carry their final values too (the official server sends null there).
      expect(payload.values.messages.at(-1), name).toMatchObject({ type: "ai", content: `echo: ${name}` });
      if (name.startsWith("thread-")) expect(payload.thread_id).toBe(thread.thread_id);
      else expect(payload.kwargs.temporary).toBe(true);
    }
  });

  it("never copies the caller's authorization, cookie or API-key headers into config or the payload", async () => {
    const r = await receiver();
    const server = await startWebhookServer();
    const secrets = { authorization: "Bearer caller-jwt-9d8c7b", cookie: "session=cookie-5e4f3a", "x-api-key": "api-key-1a2b3c" };
    const response = await fetch(`${server.url}/runs/wait`, {
      method: "POST",
      headers: { "content-type": "application/json", ...secrets },
      body: JSON.stringify({ assistant_id: "echo", input: HUMAN("headers"), webhook: `${r.origin}/hook` }),
    });
    expect(response.status).toBe(200);
    const [request] = await r.waitFor(1);
    for (const value of ["caller-jwt-9d8c7b", "cookie-5e4f3a", "api-key-1a2b3c"]) expect(request.body).not.toContain(value);
    const config = JSON.parse(request.body).kwargs.config;
    expect(JSON.stringify(config).toLowerCase()).not.toMatch(/authorization|cookie|x-api-key/);
    for (const name of Object.keys(secrets)) expect(request.headers[name]).toBeUndefined();
  });

  it("webhooks.allowed_fields trims the payload's top-level keys (on every attempt)", async () => {
    const r = await receiver();
    const server = await startWebhookServer({ webhooks: { allowed_fields: ["run_id", "status", "values"] } });
    const run = await server.client.runs.create(null, "echo", { input: HUMAN("trim"), webhook: `${r.origin}/hook` });
    const [request] = await r.waitFor(1);
    const payload = JSON.parse(request.body);
    expect(Object.keys(payload).sort()).toEqual(["run_id", "status", "values"]);
    expect(payload.run_id).toBe(run.run_id);
    await settledDelivery(server, run.run_id);
  });
});
