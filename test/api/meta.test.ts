import { describe, expect, test } from "vitest";
import { api, useServer } from "./support.js";
import { testBackend } from "../helpers/backend.js";

const server = useServer();

type Json = Record<string, unknown>;

/**
 * The structural rules of an OpenAPI 3 document we can check without the official meta-schema:
 * version, info, paths, operations with responses, declared path parameters, unique operation ids,
 * resolvable local $refs.
 */
function openApiProblems(doc: Json): string[] {
  const problems: string[] = [];
  if (typeof doc.openapi !== "string" || !/^3\.\d+\.\d+$/.test(doc.openapi)) problems.push(`openapi version ${String(doc.openapi)}`);
  const info = doc.info as Json | undefined;
  if (!info || typeof info.title !== "string" || typeof info.version !== "string") problems.push("info.title/info.version");
  const paths = doc.paths as Record<string, Record<string, Json>> | undefined;
  if (!paths || typeof paths !== "object") return [...problems, "paths missing"];
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(paths)) {
    if (!path.startsWith("/")) problems.push(`path ${path} does not start with /`);
    if (path.includes(":")) problems.push(`path ${path} uses :param instead of {param}`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, operation] of Object.entries(item)) {
      if (!methods.has(method)) {
        if (method !== "parameters" && method !== "summary" && method !== "description") problems.push(`${path}: unknown key ${method}`);
        continue;
      }
      const where = `${method.toUpperCase()} ${path}`;
      const responses = operation.responses as Json | undefined;
      if (!responses || Object.keys(responses).length === 0) problems.push(`${where}: no responses`);
      for (const [code, response] of Object.entries(responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: response code ${code}`);
        if (typeof (response as Json).description !== "string") problems.push(`${where} ${code}: response without description`);
      }
      const parameters = (operation.parameters as Json[] | undefined) ?? [];
      for (const parameter of parameters) {
        if (!["query", "header", "path", "cookie"].includes(String(parameter.in))) problems.push(`${where}: parameter in ${String(parameter.in)}`);
        if (parameter.in === "path" && parameter.required !== true) problems.push(`${where}: path parameter ${String(parameter.name)} not required`);
      }
      for (const name of templated) {
        if (!parameters.some((p) => p.in === "path" && p.name === name)) problems.push(`${where}: path parameter ${name} not declared`);
      }
      if (typeof operation.operationId === "string") {
        if (operationIds.has(operation.operationId)) problems.push(`duplicate operationId ${operation.operationId}`);
        operationIds.add(operation.operationId);
      }
    }
  }
  // Schemas are OpenAPI 3.0's JSON Schema subset: one type name, no `const`, boolean exclusive bounds.
  const visit = (node: unknown, at: string) => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${at}/${i}`));
    if (node === null || typeof node !== "object") return;
    const schema = node as Json;
    if ("type" in schema && typeof schema.type !== "string" && at.includes("schema")) problems.push(`${at}: type ${JSON.stringify(schema.type)}`);
    if (schema.type === "null") problems.push(`${at}: type null`);
    if ("const" in schema && at.includes("schema")) problems.push(`${at}: const`);
    for (const key of ["exclusiveMinimum", "exclusiveMaximum"]) {
      if (key in schema && typeof schema[key] !== "boolean") problems.push(`${at}: ${key} ${JSON.stringify(schema[key])}`);
    }
    for (const [key, value] of Object.entries(schema)) {
      // A `properties` map is not itself a schema (a field may be called "type"); its values are.
      if (key === "properties" && value && typeof value === "object") {
        for (const [name, property] of Object.entries(value)) visit(property, `${at}/properties/${name}`);
      } else visit(value, `${at}/${key}`);
    }
  };
  visit(doc.paths, "#/paths");
  visit(doc.components, "#/components");
  const text = JSON.stringify(doc);
  for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
    if (!ref.startsWith("#/")) continue;
    let node: unknown = doc;
    for (const part of ref.slice(2).split("/")) node = (node as Json | undefined)?.[part.replaceAll("~1", "/").replaceAll("~0", "~")];
    if (node === undefined) problems.push(`unresolved $ref ${ref}`);
  }
  return problems;
}

describe("meta", () => {
  test("GET /ok answers {ok: true}", async () => {
    const response = await api(server(), "GET", "/ok");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
  });

  test("GET /ok?check_db=1 checks each dependency: the database, and Redis when processes share one", async () => {
    const response = await api(server(), "GET", "/ok?check_db=1");
    expect(response.status).toBe(200);
    const dependencies = testBackend() === "postgres" ? { database: "ok", redis: "ok" } : { database: "ok" };
    expect(response.body).toEqual({ ok: true, dependencies });
    expect((await api(server(), "GET", "/ok?check_db=7")).status).toBe(422);
  });

  test("GET /metrics: Prometheus text with the queue, runs, webhooks, crons and process figures", async () => {
    const client = server().client;
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, "echo", { input: { messages: [] } });
    const response = await fetch(`${server().url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    // The database's counts, whichever process answers.
    expect(value('hookgraph_runs{status="success"}')).toBeGreaterThanOrEqual(1);
    expect(value("hookgraph_queue_depth")).toBe(0);
    expect(value("hookgraph_queue_oldest_pending_age_seconds")).toBe(0);
    // What this process did.
    expect(value('hookgraph_runs_finished_total{status="success"}')).toBeGreaterThanOrEqual(1);
    expect(value('hookgraph_run_duration_seconds_count{status="success"}')).toBeGreaterThanOrEqual(1);
    expect(value("hookgraph_runs_executing")).toBe(0);
    for (const name of ["hookgraph_leases_reclaimed_total", "hookgraph_webhook_delivery_latency_seconds_count", "hookgraph_cron_lag_seconds_count"]) {
      expect(value(name), name).toBe(0);
    }
    expect(text).toMatch(/^# TYPE hookgraph_webhook_attempts_total counter$/m);
    expect(value("hookgraph_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  test("GET /info has the version, capability flags and metadata", async () => {
    const response = await api<Json>(server(), "GET", "/info");
    expect(response.status).toBe(200);
    const pkg = (await import("../../package.json", { with: { type: "json" } })).default as { version: string };
    expect(response.body.version).toBe(pkg.version);
    expect(response.body.flags).toMatchObject({ assistants: true, crons: expect.any(Boolean), langsmith: false });
    expect(typeof (response.body.flags as Json).webhooks).toBe("boolean");
    expect(response.body.metadata).toEqual(expect.any(Object));
    expect(response.body.langgraph_js_version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("GET /openapi.json is a valid OpenAPI 3 document generated from the route schemas", async () => {
    const response = await api<Json>(server(), "GET", "/openapi.json");
    expect(response.status).toBe(200);
    const doc = response.body;
    expect(openApiProblems(doc)).toEqual([]);
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const expected: [string, string][] = [
      ["get", "/ok"],
      ["get", "/info"],
      ["post", "/assistants"],
      ["post", "/assistants/search"],
      ["post", "/assistants/count"],
      ["get", "/assistants/{assistant_id}"],
      ["patch", "/assistants/{assistant_id}"],
      ["delete", "/assistants/{assistant_id}"],
      ["get", "/assistants/{assistant_id}/graph"],
      ["get", "/assistants/{assistant_id}/schemas"],
      ["get", "/assistants/{assistant_id}/subgraphs"],
      ["get", "/assistants/{assistant_id}/subgraphs/{namespace}"],
      ["post", "/assistants/{assistant_id}/versions"],
      ["post", "/assistants/{assistant_id}/latest"],
      ["post", "/threads"],
      ["post", "/threads/search"],
      ["post", "/threads/count"],
      ["post", "/threads/prune"],
      ["get", "/threads/{thread_id}"],
      ["patch", "/threads/{thread_id}"],
      ["delete", "/threads/{thread_id}"],
      ["post", "/threads/{thread_id}/copy"],
      ["get", "/threads/{thread_id}/state"],
      ["post", "/threads/{thread_id}/state"],
      ["patch", "/threads/{thread_id}/state"],
      ["get", "/threads/{thread_id}/state/{checkpoint_id}"],
      ["post", "/threads/{thread_id}/state/checkpoint"],
      ["get", "/threads/{thread_id}/history"],
      ["post", "/threads/{thread_id}/history"],
      ["get", "/threads/{thread_id}/stream"],
      ["put", "/store/items"],
      ["get", "/store/items"],
      ["delete", "/store/items"],
      ["post", "/store/items/search"],
      ["post", "/store/namespaces"],
    ];
    const missing = expected.filter(([method, path]) => !paths[path]?.[method]).map(([m, p]) => `${m.toUpperCase()} ${p}`);
    expect(missing).toEqual([]);
    // Generated from the route schemas: the request body of a search carries its fields and limits.
    const searchBody = paths["/threads/search"].post.requestBody as Json;
    const schema = JSON.stringify(searchBody);
    expect(schema).toContain('"limit"');
    expect(schema).toContain('"maximum":1000');
    // Every error the API answers is a {detail} object.
    const threadGet = paths["/threads/{thread_id}"].get.responses as Record<string, Json>;
    expect(Object.keys(threadGet)).toEqual(expect.arrayContaining(["200", "404", "422"]));
  });

  test("unknown routes are 404 {detail}", async () => {
    const response = await api<Json>(server(), "GET", "/no/such/route");
    expect(response.status).toBe(404);
    expect(response.body.detail).toContain("/no/such/route");
  });
});
