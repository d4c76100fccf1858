import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { ARTIFACTS_DIR } from "../helpers/browser.js";
import { startCli, type CliProcess } from "../helpers/cli.js";
import { eventually, sleep } from "../api/support.js";

// `hookgraph dev` reloading a project's graphs as its files are saved, in a real process. The
// project sits under test-artifacts/ so that its graphs resolve @langchain/langgraph from the
// repository's node_modules.

const AGENT = (reply: string) => `import { Annotation, StateGraph } from "@langchain/langgraph";
import { reply } from "./reply.js";

const State = Annotation.Root({ text: Annotation<string>, answer: Annotation<string> });

export const graph = new StateGraph(State)
  .addNode("wait", async (_state: typeof State.State, config: { configurable?: { delay_ms?: number } }) => {
    await new Promise((resolve) => setTimeout(resolve, config.configurable?.delay_ms ?? 0));
    return {};
  })
  .addNode("respond", (state: typeof State.State) => ({ answer: \`\${${reply}(state.text)} \${process.env.GREETING ?? ""}\`.trim() }))
  .addEdge("__start__", "wait")
  .addEdge("wait", "respond")
  .compile();
`;
const REPLY = (version: string) => `export function reply(text: string): string {\n  return "${version}: " + text;\n}\n`;
const FAIL = `import { Annotation, StateGraph } from "@langchain/langgraph";

const State = Annotation.Root({ text: Annotation<string> });

export const graph = new StateGraph(State)
  .addNode("fail", (): { text: string } => {
    throw new RangeError("the project's node failed");
  })
  .addEdge("__start__", "fail")
  .compile();
`;
const FAIL_SITE = (dir: string) => `${join(dir, "fail.ts")}:7:11`;

function writeProject(): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const dir = mkdtempSync(join(ARTIFACTS_DIR, "reload-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "reload-project", private: true, type: "module" }));
  writeFileSync(
    join(dir, "langgraph.json"),
    JSON.stringify({ graphs: { agent: "./agent.ts:graph", fail: "./fail.ts:graph" }, env: ".env" }),
  );
  writeFileSync(join(dir, ".env"), "GREETING=hello\n");
  writeFileSync(join(dir, "agent.ts"), AGENT("reply"));
  writeFileSync(join(dir, "reply.ts"), REPLY("v1"));
  writeFileSync(join(dir, "fail.ts"), FAIL);
  return dir;
}

interface LogLine {
  msg: string;
  files?: string[];
  ms?: number;
  executing?: number;
  err?: { message?: string; stack?: string };
  run_id?: string;
}

function logLines(cli: CliProcess): LogLine[] {
  return cli
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);
}

async function answer(client: Client, text: string, delayMs = 0): Promise<string> {
  const values = (await client.runs.wait(null, "agent", { input: { text }, config: { configurable: { delay_ms: delayMs } } })) as { answer: string };
  return values.answer;
}

const isReloadLine = (line: LogLine) => line.msg.startsWith("graphs reloaded") || line.msg.startsWith("graph reload failed");

/** Saves a file and waits for the reload it causes: its log line, and how long after the save it came. */
async function save(dev: CliProcess, path: string, content: string): Promise<{ line: LogLine; ms: number }> {
  const before = logLines(dev).filter(isReloadLine).length;
  const saved = performance.now();
  writeFileSync(path, content);
  const lines = await eventually(async () => logLines(dev).filter(isReloadLine), (found) => found.length > before, 10_000);
  return { line: lines[before], ms: performance.now() - saved };
}

const overview = async (url: string) =>
  (await (await fetch(`${url}/ui/api/overview`)).json()) as { reload: { generation: number; error: { message: string } | null } | null };

describe("hookgraph dev reloads the graphs when their files change", () => {
  let dir: string;
  let dev: CliProcess;
  let client: Client;

  beforeAll(async () => {
    dir = writeProject();
    dev = await startCli(["dev", "--port", "0", "--workers", "1", "--config", join(dir, "langgraph.json")]);
    client = new Client({ apiUrl: dev.url });
  });
  afterAll(async () => {
    await dev?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves an imported file's change within a second or two; a run already executing finishes on its code", async () => {
    expect(await answer(client, "hi")).toBe("v1: hi hello");
    const slow = answer(client, "slow", 2_500);
    await sleep(500); // executing now, in its wait node
    const saving = performance.now();
    const { line, ms } = await save(dev, join(dir, "reply.ts"), REPLY("v2"));
    // Once the reload is logged, every new run executes the saved code.
    expect(await answer(client, "hi")).toBe("v2: hi hello");
    const answered = performance.now() - saving;
    expect(line).toMatchObject({ msg: "graphs reloaded; 1 run(s) already executing finish on the code they started with", files: ["reply.ts"], executing: 1 });
    expect(ms).toBeLessThan(2_000);
    expect(await slow).toBe("v1: slow hello");
    console.log(`reload: logged ${Math.round(ms)} ms after the save (loading took ${line.ms} ms); first new run answered after ${Math.round(answered)} ms`);
  });

  it("keeps the last good code serving when a file does not load, shows why, and takes the fix", async () => {
    const agent = join(dir, "agent.ts");
    const failed = await save(dev, agent, `${AGENT("reply")}\nexport const broken = ;\n`);
    expect(failed.line.msg).toMatch(/^graph reload failed; the previous code keeps serving: Cannot load graph "agent": importing .*agent\.ts failed: .*agent\.ts:16:22: ERROR: Unexpected ";"/s);
    const { reload } = await overview(dev.url);
    expect(failed.line.msg).toContain(reload!.error!.message);
    expect(reload!.error!.message).toContain(agent);
    expect(await answer(client, "hi")).toBe("v2: hi hello");

    const fixed = await save(dev, agent, AGENT("((text: string) => reply(text).toUpperCase())"));
    expect(fixed.line.msg).toBe("graphs reloaded");
    expect(await answer(client, "hi")).toBe("V2: HI hello");
    expect((await overview(dev.url)).reload).toMatchObject({ generation: 2, error: null });
  });

  it("applies a changed env file to the graph worker threads", async () => {
    const { line } = await save(dev, join(dir, ".env"), "GREETING=bonjour\n");
    expect(line).toMatchObject({ msg: "graphs reloaded", files: [".env"] });
    expect(await answer(client, "hi")).toBe("V2: HI bonjour");
  });

  it("serves a graph added to langgraph.json, with its system assistant", async () => {
    const config = { graphs: { agent: "./agent.ts:graph", fail: "./fail.ts:graph", again: "./agent.ts:graph" }, env: ".env" };
    const { line } = await save(dev, join(dir, "langgraph.json"), JSON.stringify(config));
    expect(line).toMatchObject({ msg: "graphs reloaded", files: ["langgraph.json"] });
    expect((await client.assistants.search({ graphId: "again" })).map((assistant) => assistant.name)).toEqual(["again"]);
    expect(await client.runs.wait(null, "again", { input: { text: "new" } })).toMatchObject({ answer: "V2: NEW bonjour" });
  });
});

describe("hookgraph dev --no-reload, graphs on the main thread", () => {
  let dir: string;
  let dev: CliProcess;

  beforeAll(async () => {
    dir = writeProject();
    dev = await startCli(["dev", "--port", "0", "--workers", "0", "--no-reload", "--config", join(dir, "langgraph.json")]);
  });
  afterAll(async () => {
    await dev?.stop("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps the code it started with, and shows a failing node's TypeScript line in the log and on the dashboard", async () => {
    const client = new Client({ apiUrl: dev.url });
    writeFileSync(join(dir, "reply.ts"), REPLY("v2"));
    await sleep(1_500);
    expect(await answer(client, "hi")).toBe("v1: hi hello");
    expect((await overview(dev.url)).reload).toBeNull();

    const thread = await client.threads.create();
    expect(await client.runs.wait(thread.thread_id, "fail", { input: {}, raiseError: false })).toEqual({
      __error__: { error: "RangeError", message: "the project's node failed" },
    });
    const [run] = await client.runs.list(thread.thread_id);
    const detail = (await (await fetch(`${dev.url}/ui/api/runs/${run.run_id}`)).json()) as { stack: string };
    expect(detail.stack).toContain(`(${FAIL_SITE(dir)})`);
    const logged = await eventually(
      async () => logLines(dev).find((line) => line.msg === "run failed" && line.run_id === run.run_id),
      (line) => line !== undefined,
    );
    expect(logged!.err!.stack).toContain(`(${FAIL_SITE(dir)})`);
  });
});
