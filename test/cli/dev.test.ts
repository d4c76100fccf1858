import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { runCli, startCli, type CliProcess } from "../helpers/cli.js";

const running: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
});

describe("hookgraph dev", () => {
  it("serves the example agent from the repository's langgraph.json", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hookgraph-cli-"));
    const server = await startCli(["dev", "--port", "0", "--data-dir", dataDir]);
    running.push(server);
    const ok = await fetch(`${server.url}/ok`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true });
    // The banner names the dashboard and a LangGraph Studio link to this server.
    expect(server.output()).toContain(`  dashboard: ${server.url}/ui\n`);
    expect(server.output()).toContain(`  LangGraph Studio: https://smith.langchain.com/studio/?baseUrl=${server.url}\n`);
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("names --port when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(["dev", "--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.output).toContain(`port ${port}`);
      expect(result.output).toContain("--port");
      // The graph workers it stopped while they were loading are not reported as a failure.
      expect(result.output).not.toContain("graph workers failed to start");
    } finally {
      blocker.close();
    }
  });

  it("names a missing config file", async () => {
    const result = await runCli(["dev", "--port", "0", "--config", "does-not-exist/langgraph.json"]);
    expect(result.code).toBe(1);
    expect(result.output).toContain("does-not-exist/langgraph.json does not exist");
  });
});
