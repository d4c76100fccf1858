import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { resolveCorsPolicy } from "../../src/config/cors.js";

const STUDIO = "https://smith.langchain.com";
const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.dispose();
});

async function start(mode: "dev" | "serve", cors?: unknown): Promise<TestServer> {
  const server = await startTestServer({ mode, env: cors === undefined ? {} : { LANGGRAPH_HTTP: JSON.stringify({ cors }) } });
  servers.push(server);
  return server;
}

const preflight = (server: TestServer, path: string, origin: string, extra: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,x-api-key", ...extra },
  });

describe("CORS", () => {
  it("dev lets any origin in: preflights answered, answers readable, streams included", async () => {
    const server = await start("dev");
    const pre = await preflight(server, "/runs/stream", STUDIO, { "access-control-request-private-network": "true" });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type,x-api-key");
    expect(pre.headers.get("access-control-allow-private-network")).toBe("true");

    const created = await fetch(`${server.url}/runs`, {
      method: "POST",
      headers: { origin: STUDIO, "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: "echo", input: { messages: [] } }),
    });
    expect(created.status).toBe(200);
    expect(created.headers.get("access-control-allow-origin")).toBe("*");
    expect(created.headers.get("access-control-expose-headers")).toContain("Content-Location");

    const stream = await fetch(`${server.url}/runs/stream`, {
      method: "POST",
      headers: { origin: STUDIO, "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: "echo", input: { messages: [{ role: "user", content: "hi" }] } }),
    });
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    expect(stream.headers.get("access-control-allow-origin")).toBe("*");
    expect(await stream.text()).toContain("event: values");

    const missing = await fetch(`${server.url}/threads/00000000-0000-0000-0000-000000000000`, { headers: { origin: STUDIO } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("serve sends no CORS headers unless http.cors says so", async () => {
    const server = await start("serve");
    expect((await preflight(server, "/runs/wait", STUDIO)).status).toBe(404);
    const ok = await fetch(`${server.url}/ok`, { headers: { origin: STUDIO } });
    expect(ok.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("http.cors: listed origins and a whole-origin pattern are echoed; others get nothing", async () => {
    const server = await start("serve", {
      allow_origins: ["https://app.example.com"],
      allow_origin_regex: "https://[a-z0-9]+\\.preview\\.example\\.com",
      allow_headers: ["Content-Type"],
      allow_credentials: true,
      expose_headers: ["X-Custom"],
      max_age: 600,
    });
    for (const origin of ["https://app.example.com", "https://pr1.preview.example.com"]) {
      const pre = await preflight(server, "/runs/wait", origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(origin);
      expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
      expect(pre.headers.get("access-control-allow-headers")).toBe("Content-Type");
      expect(pre.headers.get("access-control-max-age")).toBe("600");
      const ok = await fetch(`${server.url}/ok`, { headers: { origin } });
      expect(ok.headers.get("access-control-allow-origin")).toBe(origin);
      expect(ok.headers.get("vary")).toContain("Origin");
      expect(ok.headers.get("access-control-expose-headers")).toBe("X-Custom, Content-Location, Location, X-Pagination-Next, X-Pagination-Total");
    }
    // The pattern must match the whole origin, not a part of it.
    for (const origin of ["https://evil.example.org", "https://pr1.preview.example.com.evil.org"]) {
      const pre = await preflight(server, "/runs/wait", origin);
      expect(pre.status).toBe(400);
      expect(await pre.json()).toEqual({ detail: "Disallowed CORS origin" });
      const ok = await fetch(`${server.url}/ok`, { headers: { origin } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("access-control-allow-origin")).toBeNull();
    }
  });

  it("rejects a malformed http.cors at start-up, naming the key and the rule", () => {
    expect(() => resolveCorsPolicy({ allow_origins: "*" }, "dev")).toThrow("http.cors.allow_origins must be a list of non-empty strings");
    expect(() => resolveCorsPolicy({ allow_origin_regex: "(" }, "dev")).toThrow(/http\.cors\.allow_origin_regex is not a valid regular expression/);
    expect(() => resolveCorsPolicy({ max_age: -1 }, "dev")).toThrow("http.cors.max_age must be a whole number of seconds, 0 or more");
    expect(() => resolveCorsPolicy({ allow_origin: ["x"] }, "dev")).toThrow(/http\.cors has unknown key allow_origin/);
    expect(() => resolveCorsPolicy(["*"], "serve")).toThrow("http.cors must be an object");
  });
});
