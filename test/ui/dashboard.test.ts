import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startInspector, type Inspector } from "../../src/inspect/server.js";
import { getJson, SIGNING_SECRET, startRun, waitForDelivery, waitForRun, createThread } from "./support.js";

interface Overview {
  counts: { runs: Record<string, number>; deliveries: Record<string, number> };
  total: number;
  runs: { run_id: string; thread_id: string; assistant_id: string; status: string; delivery: { status: string; failing: boolean } | null }[];
  older: boolean;
  failing: { delivery_id: string; run_id: string; url: string; status: string; last_attempt: { status_code: number | null; error: string | null } }[];
  assistants: { assistant_id: string; name: string; graph_id: string }[];
}

interface Detail {
  run: { run_id: string; status: string; webhook: string | null };
  input: unknown;
  values: { source: string; values: { messages: { content: string }[] } } | null;
  events: { kept: boolean; items: { event: string; data: string }[]; omitted: number };
  deliveries: {
    delivery_id: string;
    url: string;
    status: string;
    failing: boolean;
    attempts: { attempt: number; trigger: string; status_code: number | null; error: string | null; response_excerpt: string | null }[];
  }[];
}

let server: TestServer;
let inspector: Inspector;

beforeAll(async () => {
  inspector = await startInspector({ port: 0, secret: SIGNING_SECRET });
  // Graphs on the main thread (`workers: 0`): what the dashboard shows does not depend on where they run.
  server = await startTestServer({
    workers: 0,
    env: { LANGGRAPH_WEBHOOKS: JSON.stringify({ signing_secret: SIGNING_SECRET, retry: { schedule: [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2] } }) },
  });
});

afterAll(async () => {
  await server?.dispose();
  await inspector?.close();
});

const overview = (query = "") => getJson<Overview>(`${server.url}/ui/api/overview${query}`);
const detail = (runId: string) => getJson<Detail>(`${server.url}/ui/api/runs/${runId}`);
const token = (url: string) => new URL(url).searchParams.get("token")!;

function setRule(path: string, statuses: number[]) {
  return fetch(`${inspector.url}/api/responses`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path, statuses }),
  });
}

describe("dashboard", () => {
  it("serves the page, its assets and a run's detail without the webhook URL's secrets", async () => {
    const webhook = inspector.webhookUrl("detail");
    const run = await startRun(server.url, { assistant: "echo", text: "ping", webhook });
    await waitForDelivery(server.url, run.run_id, "succeeded");

    const page = await fetch(`${server.url}/ui?run=${run.run_id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="/ui/assets/app.js"></script>');
    expect(html).toContain(run.run_id); // the initial snapshot lists the run
    for (const asset of ["app.js", "style.css"]) {
      const response = await fetch(`${server.url}/ui/assets/${asset}`);
      expect(response.status).toBe(200);
      expect((await response.text()).length).toBeGreaterThan(1000);
    }
    expect((await fetch(`${server.url}/ui/assets/nope.js`)).status).toBe(404);

    const shown = await detail(run.run_id);
    expect(shown.input).toEqual({ messages: [{ role: "user", content: "ping" }] });
    expect(shown.values?.source).toBe("checkpoint");
    expect(shown.values?.values.messages.map((m) => m.content)).toEqual(["ping", "echo: ping"]);
    expect(shown.events.kept).toBe(true);
    expect(shown.events.items.map((e) => e.event)).toContain("values");
    expect(shown.deliveries).toHaveLength(1);
    expect(shown.deliveries[0]).toMatchObject({ status: "succeeded", failing: false, url: expect.stringContaining("token=***") });
    expect(shown.deliveries[0].attempts).toMatchObject([{ attempt: 1, trigger: "automatic", status_code: 200, error: null }]);
    expect(shown.run.webhook).toContain("token=***");
    expect(shown.run).not.toHaveProperty("kwargs");

    // The secrets never leave the server: not in the HTML, not in the JSON.
    const everything = [html, JSON.stringify(shown), JSON.stringify(await overview())].join("\n");
    expect(everything).not.toContain(token(webhook));
    expect(everything).not.toContain(SIGNING_SECRET);
  });

  it("lists runs across threads with filters and counts by status", async () => {
    const thread = await createThread(server.url);
    const a = await startRun(server.url, { assistant: "echo", threadId: thread });
    const b = await startRun(server.url, { assistant: "error" });
    const c = await startRun(server.url, { assistant: "echo" });
    for (const run of [a, b, c]) await waitForRun(server.url, run.run_id);

    const all = await overview();
    const ids = all.runs.map((run) => run.run_id);
    expect(ids.indexOf(c.run_id)).toBeLessThan(ids.indexOf(b.run_id)); // newest first
    expect(ids.indexOf(b.run_id)).toBeLessThan(ids.indexOf(a.run_id));
    expect(all.total).toBe(Object.values(all.counts.runs).reduce((sum, n) => sum + n, 0));
    expect(all.counts.runs.error).toBeGreaterThanOrEqual(1);
    expect(all.assistants.map((x) => x.graph_id)).toEqual(expect.arrayContaining(["echo", "error"]));

    const errors = await overview("?status=error");
    expect(errors.runs.map((run) => run.status)).toEqual(errors.runs.map(() => "error"));
    expect(errors.runs.map((run) => run.run_id)).toContain(b.run_id);
    expect(errors.total).toBe(all.counts.runs.error);

    const echoId = all.assistants.find((x) => x.graph_id === "echo")!.assistant_id;
    const echo = await overview(`?assistant_id=${echoId}`);
    expect(new Set(echo.runs.map((run) => run.assistant_id))).toEqual(new Set([echoId]));
    expect(echo.counts.runs.error).toBe(0);
    expect(echo.counts.runs.success).toBe(echo.total);

    const onThread = await overview(`?thread_id=${thread}`);
    expect(onThread.runs.map((run) => run.run_id)).toEqual([a.run_id]);
    expect(onThread.counts.runs).toMatchObject({ success: 1, error: 0, pending: 0 });

    // Empty fields (the filter form's "any") mean no filter; a bad status is refused.
    expect((await overview("?status=&assistant_id=&thread_id=")).total).toBe(all.total);
    expect((await fetch(`${server.url}/ui/api/overview?status=bogus`)).status).toBe(422);
    expect((await fetch(`${server.url}/ui/api/runs/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it("lists the deliveries failing now first: retrying, then given up, until they succeed", async () => {
    await setRule("/hooks/down", [503]);
    await setRule("/hooks/gone", [410]);
    const retrying = await startRun(server.url, { assistant: "echo", webhook: inspector.webhookUrl("down") });
    const gone = await startRun(server.url, { assistant: "echo", webhook: inspector.webhookUrl("gone") });
    await waitForDelivery(server.url, gone.run_id, "failed");
    await expect.poll(async () => (await detail(retrying.run_id)).deliveries[0]?.attempts.length ?? 0, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

    const now = await overview();
    const failingIds = now.failing.map((d) => d.run_id);
    expect(failingIds).toEqual(expect.arrayContaining([retrying.run_id, gone.run_id]));
    expect(failingIds.indexOf(retrying.run_id)).toBeLessThan(failingIds.indexOf(gone.run_id));
    const first = now.failing.find((d) => d.run_id === retrying.run_id)!;
    expect(first).toMatchObject({ status: "pending", last_attempt: { status_code: 503, error: "HTTP 503" } });
    expect(first.url).toContain("token=***");
    expect(now.counts.deliveries.retrying).toBeGreaterThanOrEqual(1);
    expect(now.counts.deliveries.failed).toBeGreaterThanOrEqual(1);
    expect(now.runs.find((run) => run.run_id === retrying.run_id)?.delivery).toMatchObject({ status: "pending", failing: true });

    const goneDetail = await detail(gone.run_id);
    expect(goneDetail.deliveries[0]).toMatchObject({ status: "failed", failing: true });
    expect(goneDetail.deliveries[0].attempts).toMatchObject([{ status_code: 410, error: "HTTP 410" }]);

    // The receiver recovers: the retrying delivery succeeds and leaves the failing list.
    await setRule("/hooks/down", [200]);
    await waitForDelivery(server.url, retrying.run_id, "succeeded");
    const after = await overview();
    expect(after.failing.map((d) => d.run_id)).not.toContain(retrying.run_id);
    const attempts = (await detail(retrying.run_id)).deliveries[0].attempts;
    expect(attempts.at(-1)).toMatchObject({ status_code: 200, error: null });
    expect(attempts.slice(0, -1).every((attempt) => attempt.status_code === 503)).toBe(true);

    // A manual redelivery of the given-up one, through the public API, appears as a new attempt.
    await setRule("/hooks/gone", [200]);
    const redeliver = await fetch(`${server.url}/webhooks/deliveries/${goneDetail.deliveries[0].delivery_id}/redeliver`, { method: "POST" });
    expect(redeliver.status).toBe(202);
    await waitForDelivery(server.url, gone.run_id, "succeeded");
    expect((await detail(gone.run_id)).deliveries[0].attempts.map((a) => a.trigger)).toEqual(["automatic", "manual"]);
    expect((await overview()).failing.map((d) => d.run_id)).not.toContain(gone.run_id);
  });

  it("is read-only: no other method is served under /ui", async () => {
    for (const [method, path] of [
      ["POST", "/ui"],
      ["POST", "/ui/api/overview"],
      ["DELETE", "/ui/api/overview"],
      ["PUT", "/ui/assets/app.js"],
    ]) {
      expect((await fetch(`${server.url}${path}`, { method })).status, `${method} ${path}`).toBe(404);
    }
  });

  it("pages runs with before (the last run shown): stable while runs arrive, older says whether more exist", async () => {
    const thread = await createThread(server.url);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await startRun(server.url, { assistant: "echo", threadId: thread, text: `p${i}` })).run_id);
    const newestFirst = [...ids].reverse();
    const first = await overview(`?thread_id=${thread}&limit=2`);
    expect(first.runs.map((run) => run.run_id)).toEqual(newestFirst.slice(0, 2));
    expect([first.older, first.total]).toEqual([true, 5]);
    await startRun(server.url, { assistant: "echo", threadId: thread, text: "newer" });
    const second = await overview(`?thread_id=${thread}&limit=2&before=${newestFirst[1]}`);
    expect(second.runs.map((run) => run.run_id)).toEqual(newestFirst.slice(2, 4));
    const last = await overview(`?thread_id=${thread}&limit=2&before=${newestFirst[3]}`);
    expect(last.runs.map((run) => run.run_id)).toEqual(newestFirst.slice(4));
    expect(last.older).toBe(false);
    const bad = await fetch(`${server.url}/ui/api/overview?before=not-a-run`);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain("before");
  });

  it("is hidden from the OpenAPI document", async () => {
    const spec = await getJson<{ paths: Record<string, unknown> }>(`${server.url}/openapi.json`);
    expect(Object.keys(spec.paths)).toContain("/webhooks/deliveries");
    expect(Object.keys(spec.paths).filter((path) => path.startsWith("/ui"))).toEqual([]);
  });
});

describe("turning the dashboard off", () => {
  it("--no-ui serves no /ui while the API stays", async () => {
    const off = await startTestServer({ ui: false, workers: 0 });
    try {
      expect((await fetch(`${off.url}/ui`)).status).toBe(404);
      expect((await fetch(`${off.url}/ui/api/overview`)).status).toBe(404);
      expect((await fetch(`${off.url}/webhooks/deliveries`)).status).toBe(200);
    } finally {
      await off.dispose();
    }
  });

  it("http.disable_ui serves no /ui", async () => {
    const off = await startTestServer({ workers: 0, env: { LANGGRAPH_HTTP: JSON.stringify({ disable_ui: true }) } });
    try {
      expect((await fetch(`${off.url}/ui`)).status).toBe(404);
      expect((await fetch(`${off.url}/ui/assets/app.js`)).status).toBe(404);
    } finally {
      await off.dispose();
    }
  });
});
