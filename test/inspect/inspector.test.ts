import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { startInspector, type Inspector, type InspectorOptions } from "../../src/inspect/server.js";
import type { ReceivedRequest } from "../../src/inspect/store.js";
import { header, listRequests, OTHER_SECRET, putRule, SECRET, signedHeaders } from "./support.js";

const running: Inspector[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((inspector) => inspector.close()));
});

async function start(options: InspectorOptions = {}): Promise<Inspector> {
  const inspector = await startInspector({ port: 0, ...options });
  running.push(inspector);
  return inspector;
}

describe("receiving hooks", () => {
  it("prints a webhook URL with a random token under /hooks/", async () => {
    const a = await start();
    const b = await start();
    expect(a.webhookUrl("orders")).toMatch(new RegExp(`^${a.url}/hooks/orders\\?token=[\\w-]{12,}$`));
    expect(new URL(a.webhookUrl()).searchParams.get("token")).not.toBe(new URL(b.webhookUrl()).searchParams.get("token"));
  });

  it("records any method on any path with its query, headers and exact body, newest first", async () => {
    const inspector = await start();
    await fetch(`${inspector.url}/hooks/a?x=1&y=2`, { method: "POST", headers: { "x-custom": "yes" }, body: '{"n":1}' });
    await fetch(`${inspector.url}/deep/path/b`, { method: "PATCH", body: new Uint8Array([0xff, 0x00, 0xfe]) });
    await fetch(`${inspector.url}/hooks/a`, { method: "DELETE" });
    await fetch(`${inspector.url}/hooks/a`, { method: "PUT", headers: { "content-type": "not a media type" }, body: "x" });

    const all = await listRequests(inspector.url);
    expect(all.map((r) => `${r.id} ${r.method} ${r.path}`)).toEqual([
      "4 PUT /hooks/a",
      "3 DELETE /hooks/a",
      "2 PATCH /deep/path/b",
      "1 POST /hooks/a",
    ]);
    const [put, , binary, first] = all;
    expect(first).toMatchObject({ query: "x=1&y=2", body: '{"n":1}', body_encoding: "utf8", size: 7, signature: null });
    expect(header(first, "x-custom")).toBe("yes");
    expect(binary).toMatchObject({ body: Buffer.from([0xff, 0x00, 0xfe]).toString("base64"), body_encoding: "base64", size: 3 });
    expect(header(put, "content-type")).toBe("not a media type");
    expect(put.body).toBe("x");

    const grouped = await listRequests(inspector.url, "/hooks/a");
    expect(grouped.map((r) => r.id)).toEqual([4, 3, 1]);
  });

  it("judges signatures valid, invalid or unsigned when given a secret", async () => {
    const inspector = await start({ secret: SECRET });
    const post = (path: string, body: string, headers: Record<string, string>) =>
      fetch(`${inspector.url}${path}`, { method: "POST", headers, body });
    const body = JSON.stringify({ event: "run.completed", run_id: "r1" });

    await post("/hooks/valid", body, signedHeaders(body));
    await post("/hooks/tampered", body.replace("r1", "r2"), signedHeaders(body));
    await post("/hooks/other-secret", body, signedHeaders(body, { secret: OTHER_SECRET }));
    await post("/hooks/stale", body, signedHeaders(body, { at: new Date(Date.now() - 10 * 60_000) }));
    await post("/hooks/unsigned", body, { "content-type": "application/json" });

    const verdicts = Object.fromEntries((await listRequests(inspector.url)).map((r) => [r.path, r.signature]));
    expect(verdicts["/hooks/valid"]).toEqual({ verdict: "valid" });
    expect(verdicts["/hooks/tampered"]).toEqual({ verdict: "invalid", reason: "no v1 signature matches the body" });
    expect(verdicts["/hooks/other-secret"]?.verdict).toBe("invalid");
    expect(verdicts["/hooks/stale"]?.reason).toMatch(/^timestamp is \d+s old/);
    expect(verdicts["/hooks/unsigned"]).toEqual({ verdict: "unsigned" });
  });

  it("refuses to start with a malformed secret, without echoing it", async () => {
    await expect(startInspector({ port: 0, secret: "whsec_%%%%" })).rejects.toThrow(/^--secret: .*base64$/);
    await expect(startInspector({ port: 0, secret: "whsec_%%%%" })).rejects.not.toThrow("%%%%");
  });

  it("keeps the secret out of the page, its assets and the API", async () => {
    const inspector = await start({ secret: SECRET });
    await fetch(inspector.webhookUrl(), { method: "POST", body: "{}" });
    const key = SECRET.slice("whsec_".length);
    for (const path of ["/", "/api/requests", "/api/responses", "/assets/app.js"]) {
      expect(await (await fetch(`${inspector.url}${path}`)).text()).not.toContain(key);
    }
  });
});

describe("answers", () => {
  it("plays a status sequence set through the API, then repeats its last status", async () => {
    const inspector = await start();
    const put = await putRule(inspector.url, { path: "/hooks/flaky", statuses: [503, 503, 200], retry_after: 7 });
    expect(put.status).toBe(200);

    const answers: Array<[number, string | null]> = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${inspector.url}/hooks/flaky?attempt=${i}`, { method: "POST", body: "{}" });
      answers.push([response.status, response.headers.get("retry-after")]);
    }
    expect(answers).toEqual([[503, "7"], [503, "7"], [200, null], [200, null]]);
    expect((await fetch(`${inspector.url}/hooks/other`, { method: "POST" })).status).toBe(200);

    const rules = (await (await fetch(`${inspector.url}/api/responses`)).json()) as { responses: unknown[] };
    expect(rules.responses).toEqual([{ path: "/hooks/flaky", statuses: [503, 503, 200], delay_ms: 0, retry_after: 7, served: 4 }]);
    const recorded = await listRequests(inspector.url, "/hooks/flaky");
    expect(recorded.map((r) => r.response.status)).toEqual([200, 200, 503, 503]);
  });

  it("delays answers and takes initial rules from options", async () => {
    const inspector = await start({ responses: [{ path: "/slow", statuses: [202], delay_ms: 500, retry_after: null }] });
    const started = performance.now();
    const response = await fetch(`${inspector.url}/slow`, { method: "POST" });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(202);
    expect(elapsed).toBeGreaterThanOrEqual(490);
    const quick = performance.now();
    await fetch(`${inspector.url}/fast`, { method: "POST" });
    expect(performance.now() - quick).toBeLessThan(400);
  });

  it("removes a rule and validates new ones", async () => {
    const inspector = await start({ responses: [{ path: "/a", statuses: [500], delay_ms: 0, retry_after: null }] });
    expect((await fetch(`${inspector.url}/a`)).status).toBe(500);
    expect((await fetch(`${inspector.url}/api/responses?path=%2Fa`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${inspector.url}/a`)).status).toBe(200);
    expect((await fetch(`${inspector.url}/api/responses?path=%2Fa`, { method: "DELETE" })).status).toBe(404);

    const bad = await putRule(inspector.url, { path: "/a", statuses: [200, 700] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "each status must be an integer from 200 to 599" });
    expect((await putRule(inspector.url, { path: "no-slash", statuses: [200] })).status).toBe(400);
  });
});

describe("storage and export", () => {
  it("keeps only the newest max-requests requests", async () => {
    const inspector = await start({ maxRequests: 3 });
    for (let i = 1; i <= 5; i++) await fetch(`${inspector.url}/hooks/n${i}`, { method: "POST", body: String(i) });
    const kept = await listRequests(inspector.url);
    expect(kept.map((r) => r.body)).toEqual(["5", "4", "3"]);
    const exported = (await (await fetch(`${inspector.url}/api/requests`)).json()) as { max_requests: number };
    expect(exported.max_requests).toBe(3);
    expect((await fetch(`${inspector.url}/api/requests/1`)).status).toBe(404);
    expect((await fetch(`${inspector.url}/api/requests/5`)).status).toBe(200);
  });

  it("clears the requests", async () => {
    const inspector = await start();
    await fetch(`${inspector.url}/hooks/a`, { method: "POST" });
    expect((await fetch(`${inspector.url}/api/requests`, { method: "DELETE" })).status).toBe(204);
    expect(await listRequests(inspector.url)).toEqual([]);
  });

  it("replays a request to another receiver with its method, headers and body", async () => {
    const source = await start({ secret: SECRET });
    const target = await start({ secret: SECRET, responses: [{ path: "/copy", statuses: [418], delay_ms: 0, retry_after: null }] });
    const body = JSON.stringify({ event: "run.completed" });
    // node:http, because fetch refuses to set Connection; chunked, so transfer-encoding is sent too.
    await new Promise<void>((resolve, reject) => {
      const request = http.request(`${source.url}/hooks/original`, {
        method: "PUT",
        headers: { ...signedHeaders(body), "x-trace": "t-1", connection: "keep-alive, x-hop", "x-hop": "drop me" },
      });
      request.on("response", (response) => response.resume().on("end", resolve)).on("error", reject);
      request.write(body.slice(0, 5));
      request.end(body.slice(5));
    });
    const [original] = await listRequests(source.url);

    const replayed = await fetch(`${source.url}/api/requests/${original.id}/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: `${target.url}/copy?via=replay` }),
    });
    expect(replayed.status).toBe(200);
    expect(await replayed.json()).toEqual({ status: 418 });

    const [copy] = await listRequests(target.url);
    expect(copy).toMatchObject({ method: "PUT", path: "/copy", query: "via=replay", body, signature: { verdict: "valid" } });
    for (const name of ["x-trace", "webhook-id", "webhook-signature", "content-type"]) {
      expect(header(copy, name)).toBe(header(original, name));
    }
    expect(header(original, "transfer-encoding")).toBe("chunked");
    expect(header(copy, "x-hop")).toBeUndefined();
    expect(header(copy, "transfer-encoding")).toBeUndefined();
    expect(header(copy, "host")).toBe(new URL(target.url).host);
  });

  it("reports replay errors", async () => {
    const inspector = await start();
    await fetch(`${inspector.url}/hooks/a`, { method: "POST" });
    const replay = (id: number, url: string) =>
      fetch(`${inspector.url}/api/requests/${id}/replay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url }),
      });
    expect((await replay(1, "ftp://127.0.0.1/x")).status).toBe(400);
    expect((await replay(99, `${inspector.url}/x`)).status).toBe(404);
    const closed = await start();
    const closedUrl = closed.url;
    await closed.close();
    const refused = await replay(1, `${closedUrl}/gone`);
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { error: string }).error).toContain("ECONNREFUSED");
  });
});

/** Reads Server-Sent Events from a streaming response, one parsed event per call. */
function eventReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return async function next(): Promise<{ event: string; data: unknown }> {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) return { event, data: JSON.parse(data) };
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("event stream ended");
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

describe("live events", () => {
  it("streams a snapshot, then each new request and rule change", async () => {
    const inspector = await start({ secret: SECRET });
    await fetch(`${inspector.url}/hooks/before`, { method: "POST" });
    const controller = new AbortController();
    const stream = await fetch(`${inspector.url}/events`, { signal: controller.signal });
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const next = eventReader(stream);

    const snapshot = await next();
    expect(snapshot.event).toBe("snapshot");
    expect((snapshot.data as { requests: ReceivedRequest[] }).requests.map((r) => r.path)).toEqual(["/hooks/before"]);

    const body = '{"live":true}';
    await fetch(`${inspector.url}/hooks/live`, { method: "POST", headers: signedHeaders(body), body });
    const arrived = await next();
    expect(arrived.event).toBe("request");
    expect((arrived.data as { request: ReceivedRequest }).request).toMatchObject({
      path: "/hooks/live",
      body,
      signature: { verdict: "valid" },
    });

    await putRule(inspector.url, { path: "/hooks/live", statuses: [500] });
    expect(await next()).toMatchObject({ event: "responses", data: { responses: [{ path: "/hooks/live", statuses: [500] }] } });
    controller.abort();
  });

  it("ends open streams when closed", async () => {
    const inspector = await startInspector({ port: 0 });
    const stream = await fetch(`${inspector.url}/events`);
    const next = eventReader(stream);
    await next();
    await inspector.close();
    await expect(next()).rejects.toThrow();
  });
});

describe("reserved routes", () => {
  it("keeps /, /assets/*, /events and /api/* for the inspector and records nothing there", async () => {
    const inspector = await start();
    const page = await fetch(`${inspector.url}/`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain(inspector.webhookUrl());
    expect((await fetch(`${inspector.url}/assets/style.css`)).headers.get("content-type")).toMatch(/^text\/css/);
    for (const [method, path] of [["POST", "/"], ["POST", "/api/hooks"], ["GET", "/api/nothing/here"], ["POST", "/assets/x"], ["PUT", "/events"]]) {
      expect((await fetch(`${inspector.url}${path}`, { method })).status, `${method} ${path}`).toBe(404);
    }
    expect(await listRequests(inspector.url)).toEqual([]);
    expect((await fetch(`${inspector.url}/apix`, { method: "POST" })).status).toBe(200);
    expect((await listRequests(inspector.url)).map((r) => r.path)).toEqual(["/apix"]);
  });

  it("refuses cross-site calls to its API but not hooks", async () => {
    const inspector = await start();
    const crossSite = await fetch(`${inspector.url}/api/requests`, { method: "DELETE", headers: { origin: "http://evil.example" } });
    expect(crossSite.status).toBe(403);
    const sameSite = await fetch(`${inspector.url}/api/requests`, { method: "DELETE", headers: { origin: inspector.url } });
    expect(sameSite.status).toBe(204);
    const hook = await fetch(`${inspector.url}/hooks/a`, { method: "POST", headers: { origin: "http://evil.example" } });
    expect(hook.status).toBe(200);
  });
});
