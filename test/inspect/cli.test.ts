import { afterEach, describe, expect, it } from "vitest";
import { runCli, startCli, type CliProcess } from "../helpers/cli.js";
import { listRequests, SECRET, signedHeaders } from "./support.js";

// Runs the compiled CLI: `npm run build` first.
const running: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop("SIGKILL")));
});

async function inspect(args: string[]): Promise<CliProcess> {
  const cli = await startCli(["inspect", "--port", "0", ...args]);
  running.push(cli);
  return cli;
}

function webhookUrlFrom(output: string): string {
  const match = /webhook URL: (\S+)/.exec(output);
  if (!match) throw new Error(`no webhook URL in:\n${output}`);
  return match[1];
}

describe("hookgraph inspect", () => {
  it("starts, prints the webhook URL, records and logs hooks, and stops on SIGTERM", async () => {
    const cli = await inspect(["--secret", SECRET]);
    const webhookUrl = webhookUrlFrom(cli.output());
    expect(webhookUrl).toMatch(new RegExp(`^${cli.url}/hooks/default\\?token=[\\w-]+$`));

    const body = '{"event":"cli"}';
    expect((await fetch(webhookUrl, { method: "POST", headers: signedHeaders(body), body })).status).toBe(200);
    const [received] = await listRequests(cli.url);
    expect(received).toMatchObject({ path: "/hooks/default", body, signature: { verdict: "valid" } });

    await expect.poll(() => cli.output()).toMatch(/POST \/hooks\/default -> 200 valid \(15 B\)/);
    const token = new URL(webhookUrl).searchParams.get("token")!;
    expect(cli.output().split(webhookUrl).join("")).not.toContain(token);
    expect(cli.output()).not.toContain(SECRET.slice("whsec_".length));
    expect(await cli.stop("SIGTERM")).toBe(0);
  });

  it("takes the secret from HOOKGRAPH_INSPECT_SECRET too", async () => {
    const cli = await startCli(["inspect", "--port", "0"], { env: { HOOKGRAPH_INSPECT_SECRET: SECRET } });
    running.push(cli);
    expect(cli.output()).toContain("signatures:  checked");
    await fetch(webhookUrlFrom(cli.output()), { method: "POST", headers: signedHeaders("{}"), body: "{}" });
    expect((await listRequests(cli.url))[0].signature).toEqual({ verdict: "valid" });
  });

  it("applies --respond rules and --max-requests", async () => {
    const cli = await inspect(["--respond", "/hooks/a=503,200;retry-after=9", "--respond", "/hooks/b=201", "--max-requests", "2"]);
    const first = await fetch(`${cli.url}/hooks/a`, { method: "POST" });
    expect([first.status, first.headers.get("retry-after")]).toEqual([503, "9"]);
    expect((await fetch(`${cli.url}/hooks/a`, { method: "POST" })).status).toBe(200);
    expect((await fetch(`${cli.url}/hooks/b`, { method: "POST" })).status).toBe(201);
    expect((await listRequests(cli.url)).map((r) => r.path)).toEqual(["/hooks/b", "/hooks/a"]);
  });

  it("names a bad flag and exits 1", async () => {
    const badRule = await runCli(["inspect", "--port", "0", "--respond", "/hooks/a=abc"]);
    expect(badRule.code).toBe(1);
    expect(badRule.output).toContain("each status must be an integer");

    const badSecret = await runCli(["inspect", "--port", "0", "--secret", "whsec_%%%secret%%%"]);
    expect(badSecret.code).toBe(1);
    expect(badSecret.output).toContain("--secret");
    expect(badSecret.output).not.toContain("%%%secret%%%");
  });
});
