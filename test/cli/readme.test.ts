import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { REPO_ROOT, startCli, type CliProcess } from "../helpers/cli.js";

const run = promisify(execFile);

/** The first ```ts block of the README: the SDK snippet a new user copies. */
function readmeSnippet(): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const match = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error("README has no ts snippet");
  return match[1];
}

describe("the README's SDK snippet", () => {
  let server: CliProcess;
  beforeAll(async () => {
    server = await startCli(["dev", "--port", "0", "--data-dir", mkdtempSync(join(tmpdir(), "hookgraph-readme-"))]);
  });
  afterAll(() => server?.stop("SIGKILL"));

  it("runs against the example agent served by hookgraph dev", async () => {
    const snippet = readmeSnippet();
    expect(snippet).toContain('apiUrl: "http://127.0.0.1:2024"');
    // Inside the repository so that the snippet's import resolves from node_modules.
    const dir = join(REPO_ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "readme-snippet.mts");
    writeFileSync(file, snippet.replace("http://127.0.0.1:2024", server.url));
    const { stdout } = await run(process.execPath, ["--import", "tsx", file], { cwd: REPO_ROOT, timeout: 30_000 });
    expect(stdout).toContain("metadata");
    expect(stdout.trim().split("\n").at(-1)).toBe("You said: hello");
  });

  it("type-checks under strict TypeScript, as a user's project compiles it", async () => {
    const dir = join(REPO_ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "readme-snippet-typecheck.mts");
    writeFileSync(file, `${readmeSnippet()}\nexport {};\n`);
    const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const args = [tsc, "--ignoreConfig", "--strict", "--noEmit", "--skipLibCheck", "--target", "es2022", "--module", "nodenext", "--types", "node", file];
    const result = await run(process.execPath, args, { cwd: REPO_ROOT, timeout: 60_000 }).catch((error: { stdout: string }) => error);
    expect(result.stdout).toBe("");
  });
});
