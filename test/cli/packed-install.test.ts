import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Client } from "@langchain/langgraph-sdk";
import { REPO_ROOT, startCommand, type CliProcess } from "../helpers/cli.js";
import { eventually } from "../api/support.js";
import { startReceiver, type Receiver } from "../webhooks/receiver.js";

// The README's "Use it in your project", as a new user does it: the package as npm would publish
// it, installed into a project of their own outside this repository, run with npx. One install
// (it compiles better-sqlite3, a minute or more), from the npm cache where it can.

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

const AGENT = (prefix: string) => `import { Annotation, StateGraph } from "@langchain/langgraph";

const State = Annotation.Root({ text: Annotation<string> });

export const graph = new StateGraph(State)
  .addNode("reply", (state: typeof State.State) => {
    if (state.text === "fail") throw new Error("my node failed");
    return { text: "${prefix}" + state.text };
  })
  .addEdge("__start__", "reply")
  .compile();
`;
// Where AGENT throws: line 7, column 38 (its `new Error`).
const THROW_SITE = (project: string) => `${join(project, "src", "agent.ts")}:7:38`;

const reachable = (url: string) => fetch(`${url}/ok`).then(() => true, () => false);

describe("hookgraph installed from its package into a project of one's own", () => {
  let work: string;
  let project: string;
  let install: { stdout: string; stderr: string };
  let receiver: Receiver;
  const running: CliProcess[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "hookgraph-packed-"));
    project = join(work, "my-agent");
    mkdirSync(join(project, "src"), { recursive: true });
    // As `npm publish` packs it. dist/ is what `npm test` built just before (`npm pack` would run
    // `prepare` and rebuild dist/ under the other test files running meanwhile).
    const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: REPO_ROOT });
    const [{ filename }] = JSON.parse(packed.stdout) as { filename: string }[];

    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "my-agent",
        private: true,
        type: "module",
        dependencies: { "@langchain/langgraph": manifest.dependencies["@langchain/langgraph"], "@langchain/core": manifest.dependencies["@langchain/core"] },
        // The README's set-up: the two dependencies whose install scripts hookgraph needs.
        allowScripts: { "better-sqlite3": true, esbuild: true },
      }),
    );
    writeFileSync(join(project, "langgraph.json"), JSON.stringify({ graphs: { agent: "./src/agent.ts:graph" } }));
    writeFileSync(join(project, "src", "agent.ts"), AGENT("echo: "));
    install = await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "-D", join(work, filename)], {
      cwd: project,
      timeout: 540_000,
      maxBuffer: 16 << 20,
    });
    receiver = await startReceiver();
  }, 600_000);

  afterAll(async () => {
    await Promise.all(running.map((cli) => cli.stop("SIGKILL")));
    await receiver?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs without warnings about Node.js versions, carrying its built code", () => {
    expect(`${install.stdout}${install.stderr}`).not.toContain("EBADENGINE");
    const installed = JSON.parse(readFileSync(join(project, "node_modules", "hookgraph", "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(installed.bin).toEqual({ hookgraph: "bin/hookgraph.js" });
    expect(readFileSync(join(project, "node_modules", "hookgraph", "dist", "cli", "main.js"), "utf8")).toContain("export async function main");
  });

  it("`npx hookgraph dev` runs the project's graph through the SDK, sends its webhook, reloads an edit and shows a failing node's line", async () => {
    const dev = await startCommand("npx", ["hookgraph", "dev", "--port", "0"], { cwd: project, group: true });
    running.push(dev);
    const client = new Client({ apiUrl: dev.url });

    const values = await client.runs.wait(null, "agent", { input: { text: "hello" }, webhook: `${receiver.origin}/hooks/mine` });
    expect(values).toEqual({ text: "echo: hello" });
    const [hook] = await receiver.waitFor(1, 15_000);
    expect(hook.url).toBe("/hooks/mine");
    expect(JSON.parse(hook.body)).toMatchObject({ status: "success", values: { text: "echo: hello" } });

    writeFileSync(join(project, "src", "agent.ts"), AGENT("changed: "));
    await eventually(() => client.runs.wait(null, "agent", { input: { text: "hello" } }), (answer) => JSON.stringify(answer) === '{"text":"changed: hello"}');

    const thread = await client.threads.create();
    expect(await client.runs.wait(thread.thread_id, "agent", { input: { text: "fail" }, raiseError: false })).toEqual({
      __error__: { error: "Error", message: "my node failed" },
    });
    const [failed] = await client.runs.list(thread.thread_id);
    const detail = (await (await fetch(`${dev.url}/ui/api/runs/${failed.run_id}`)).json()) as { stack: string };
    expect(detail.stack).toContain(`(${THROW_SITE(project)})`);
    await dev.stop("SIGTERM");
    // npx ends by the signal; the server it started must be gone with it.
    await eventually(() => reachable(dev.url), (up) => !up);
  });

  it("`npx hookgraph serve` serves the same project", async () => {
    const serve = await startCommand("npx", ["hookgraph", "serve", "--port", "0"], { cwd: project, group: true });
    running.push(serve);
    expect(serve.output()).toContain("(serve) listening on");
    expect(await (await fetch(`${serve.url}/ok`)).json()).toEqual({ ok: true });
    await serve.stop("SIGTERM");
    await eventually(() => reachable(serve.url), (up) => !up);
  });
});
