import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startReceiver, type Receiver } from "../webhooks/receiver.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
// Where test/fixtures/graphs/error.ts throws, in its TypeScript source.
const THROW_SITE = `${fixture("graphs/error.ts")}:13:11`;
const CJS_THROW_SITE = `${fixture("cjs-package/throws.ts")}:8:11`;

function projectConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-stacks-"));
  const configPath = join(dir, "langgraph.json");
  writeFileSync(
    configPath,
    JSON.stringify({ graphs: { error: `${fixture("graphs/error.ts")}:graph`, cjs_error: `${fixture("cjs-package/throws.ts")}:graph` } }),
  );
  return configPath;
}

// Across the worker-thread boundary. On the main thread (`--workers 0`) vitest's own
// Error.prepareStackTrace replaces Node's source-mapped one, so test/cli/reload.test.ts checks
// that case in a real `hookgraph dev` process.
describe("the stack of an error thrown in a node on a graph worker thread", () => {
  let server: TestServer;
  let receiver: Receiver;
  let sent = 0;

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startTestServer({ configPath: projectConfig(), workers: 1 }), startReceiver()]);
  }, 60_000);
  afterAll(async () => {
    await server?.dispose();
    await receiver?.close();
  });

  it.each([
    ["error", THROW_SITE, { error: "FixtureFailure", message: "the fixture graph failed on purpose" }],
    ["cjs_error", CJS_THROW_SITE, { error: "TypeError", message: "thrown in a CommonJS TypeScript graph" }],
  ])("%s: names the user's file and line in the log and on the dashboard, never in the API or the webhook", async (graph, site, error) => {
    const thread = await server.client.threads.create();
    const result = await server.client.runs.wait(thread.thread_id, graph, { input: {}, raiseError: false, webhook: `${receiver.origin}/hook` });
    expect(result).toEqual({ __error__: error });
    const [run] = await server.client.runs.list(thread.thread_id);

    const logged = server
      .logs()
      .map((line) => JSON.parse(line) as { msg: string; run_id?: string; err?: { stack?: string } })
      .find((line) => line.msg === "run failed" && line.run_id === run.run_id);
    expect(logged?.err?.stack).toContain(`(${site})`);

    const detail = (await (await fetch(`${server.url}/ui/api/runs/${run.run_id}`)).json()) as { error: unknown; stack: string | null };
    expect(detail.error).toEqual(error);
    expect(detail.stack).toContain(`(${site})`);

    sent += 1;
    const hooks = await receiver.waitFor(sent);
    const payload = hooks.map((hook) => JSON.parse(hook.body) as { run_id: string; error: unknown }).find((body) => body.run_id === run.run_id);
    expect(payload?.error).toEqual(error);
    expect(JSON.stringify(await server.client.runs.get(thread.thread_id, run.run_id))).not.toContain(site);
  });
});
