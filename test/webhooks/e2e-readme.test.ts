import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE, resolveWebhookSettings } from "../../src/webhooks/config.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { disposeAll, eventually, HUMAN, startWebhookServer } from "./e2e-support.js";

// The README's "## Webhooks" section: its code runs and its tables match the code.
const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Webhooks\n"), readme.indexOf("\n## ", readme.indexOf("## Webhooks\n") + 1));

/** The first fenced block of `lang` after `heading` in the webhooks section. */
function block(heading: string, lang: string): string {
  const from = section.indexOf(heading);
  expect(from, heading).toBeGreaterThanOrEqual(0);
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section.slice(from));
  if (!match) throw new Error(`no ${lang} block after ${heading}`);
  return match[1];
}

/** The body rows of the first table after `heading`, as arrays of cell texts. */
function table(heading: string): string[][] {
  const lines = section.slice(section.indexOf(heading)).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const end = lines.findIndex((line, i) => i > first && !line.startsWith("|"));
  const rows = lines.slice(first, end).map((line) => line.slice(1, -1).split(" | ").map((cell) => cell.trim()));
  expect(rows.length, heading).toBeGreaterThan(2);
  return rows.slice(2); // header and separator
}

const SECONDS: Record<string, number> = { s: 1, min: 60, h: 3600 };
const seconds = (text: string) => {
  const [value, unit] = text.split(" ");
  return Number(value) * SECONDS[unit];
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await disposeAll();
});

describe("the README's webhooks section", () => {
  it("has a receiver snippet that verifies hookgraph's signature and refuses a forged request", async () => {
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const port = await freePort();
    const dir = join(REPO_ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "readme-webhook-receiver.mts");
    const snippet = block("### Verifying the signature", "ts");
    expect(snippet).toContain('.listen(9000, "127.0.0.1")');
    writeFileSync(file, snippet.replace("listen(9000,", `listen(${port},`));
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: REPO_ROOT,
      env: { ...process.env, HOOKGRAPH_SIGNING_SECRET: secret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const url = `http://127.0.0.1:${port}/my-webhook-endpoint`;
    await eventually(async () => ((await fetch(url, { method: "POST", body: "{}" }).catch(() => undefined)) ? true : undefined), 20_000, "the snippet to listen");

    const forged = await fetch(url, {
      method: "POST",
      headers: { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" },
      body: "{}",
    });
    expect(forged.status).toBe(401);

    const server = await startWebhookServer({ webhooks: { signing_secret: secret } });
    const run = await server.client.runs.create(null, "echo", { input: HUMAN("readme"), webhook: `${url}?token=t` });
    await eventually(async () => (output.includes(`run ${run.run_id} ended: success`) ? true : undefined), 10_000, `the snippet's output (${output})`);
    const [delivery] = (await server.api(`/webhooks/deliveries?run_id=${run.run_id}`)).body;
    expect(delivery.status).toBe("succeeded");
  });

  it("shows a configuration hookgraph accepts", () => {
    const config = JSON.parse(block("### Configuration", "json"));
    const env = { LG_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString("base64")}`, LG_WEBHOOK_TOKEN: "t" };
    const settings = resolveWebhookSettings("serve", config.webhooks, {}, env);
    expect(settings.headers.Authorization).toBe("Bearer t");
    expect(settings.retrySchedule).toEqual(config.webhooks.retry.schedule);
  });

  it("documents every configuration key, and only those", () => {
    const documented = table("### Configuration").map((row) => row[0].replace(/`/g, ""));
    const allowed = (scope: string, file: Record<string, unknown>) => {
      try {
        resolveWebhookSettings("dev", file as never, {}, {});
      } catch (error) {
        const list = /\(allowed: ([^)]*)\)/.exec((error as Error).message)![1];
        return list.split(", ").map((key) => `${scope}.${key}`);
      }
      throw new Error("an unknown key was accepted");
    };
    const expected = [
      "http.disable_webhooks",
      ...allowed("webhooks", { not_a_key: 1 }).filter((key) => key !== "webhooks.url" && key !== "webhooks.retry"),
      ...allowed("webhooks.url", { url: { not_a_key: 1 } }),
      ...allowed("webhooks.retry", { retry: { not_a_key: 1 } }),
    ];
    expect([...documented].sort()).toEqual([...expected].sort());
  });

  it("states the retry schedule the code uses", () => {
    const rows = table("### Delivery and retries");
    expect(rows.map((row) => Number(row[0]))).toEqual(Array.from({ length: DEFAULT_RETRY_SCHEDULE.length + 1 }, (_, i) => i + 1));
    expect(rows.slice(1).map((row) => seconds(/^\d+ (s|min|h)/.exec(row[1])![0]))).toEqual([...DEFAULT_RETRY_SCHEDULE]);
    const configRow = table("### Configuration").find((row) => row[0] === "`webhooks.retry.schedule`")!;
    expect(JSON.parse(configRow[1].replace(/`/g, ""))).toEqual([...DEFAULT_RETRY_SCHEDULE]);
  });
});
