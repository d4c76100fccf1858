import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, saveScreenshot } from "../helpers/browser.js";
import { startCli, type CliProcess } from "../helpers/cli.js";
import { SIGNING_SECRET, startRun } from "./support.js";

// The whole issue, as a user meets it: `hookgraph dev` and `hookgraph inspect` (the built CLI),
// a run whose webhook goes to the inspector, and both pages driven in headless Chromium.

const ECHO_GRAPH = fileURLToPath(new URL("../fixtures/graphs/echo.ts", import.meta.url));
// Quick retries, enough of them (10 s) to watch several failures and fix the receiver before the
// delivery gives up, even on a loaded machine.
const RETRY_SCHEDULE = Array.from({ length: 20 }, () => 0.5);

let dir: string;
let server: CliProcess;
let inspector: CliProcess;
let webhookUrl: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hookgraph-ui-e2e-"));
  writeFileSync(
    join(dir, "langgraph.json"),
    JSON.stringify({
      graphs: { echo: `${ECHO_GRAPH}:graph` },
      webhooks: { signing_secret: SIGNING_SECRET, retry: { schedule: RETRY_SCHEDULE } },
    }),
  );
  // Graphs on the main thread (`--workers 0`): a graph worker thread adds seconds to the start-up
  // and nothing to what the dashboard shows.
  [server, inspector, browser] = await Promise.all([
    startCli(["dev", "--port", "0", "--workers", "0", "--config", join(dir, "langgraph.json"), "--log-level", "warn"]),
    startCli(["inspect", "--port", "0", "--secret", SIGNING_SECRET]),
    launchBrowser(),
  ]);
  // The inspector prints its banner, webhook URL included, in one write with the "listening" line.
  const printed = /webhook URL: (\S+)/.exec(inspector.output());
  if (!printed) throw new Error(`no webhook URL in the inspector's output:\n${inspector.output()}`);
  webhookUrl = printed[1];
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.stop(), inspector?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Counts the page's own loads: live updates must not reload it. */
function watch(page: Page) {
  const errors: string[] = [];
  let loads = 0;
  page.on("pageerror", (error) => errors.push(error.message));
  // "load", not "framenavigated": the dashboard keeps its filters in the URL with history.replaceState.
  page.on("load", () => (loads += 1));
  return { errors, loads: () => loads };
}

async function setInspectorAnswer(page: Page, statuses: string) {
  await page.fill("#rule-form input[name=path]", "/hooks/default");
  await page.fill("#rule-form input[name=statuses]", statuses);
  await page.click("#rule-form button[type=submit]");
  await expect.poll(() => page.textContent("#rule-message")).toBe("Applied to /hooks/default");
}

describe("test your webhooks locally", () => {
  it("inspector sees signed hooks; the dashboard shows retries, recovery and a redelivery live", async () => {
    const token = new URL(webhookUrl).searchParams.get("token")!;
    const inspect = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const dash = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const inspectWatch = watch(inspect);
    const dashWatch = watch(dash);
    await inspect.goto(`${inspector.url}/`);
    await expect.poll(() => inspect.textContent("#connection")).toBe("live");
    await dash.goto(`${server.url}/ui`);

    // 1. A run whose webhook is the inspector: the hook arrives, signed with the shared secret.
    const first = await startRun(server.url, { assistant: "echo", text: "first", webhook: webhookUrl });
    const hook = inspect.locator("#requests > li").first();
    await hook.locator(".verdict.valid").waitFor();
    expect(await hook.locator("summary .target").textContent()).toBe(`/hooks/default?token=${token}`);
    await expect.poll(() => hook.locator(".card-body").textContent()).toContain(first.run_id);
    const row = dash.locator(`#runs tr[data-run="${first.run_id}"]`);
    await row.locator(".badge.ok", { hasText: "delivered" }).waitFor();
    await row.locator(".status.s-success").waitFor();

    // 2. The receiver answers 503: the dashboard lists the delivery as failing, with each retry.
    await setInspectorAnswer(inspect, "503");
    const second = await startRun(server.url, { assistant: "echo", text: "second", webhook: webhookUrl });
    const failing = dash.locator(`#failing-list li`).first();
    await failing.locator(".badge.bad", { hasText: "retrying" }).waitFor();
    await failing.locator(".run-link").click();
    const delivery = dash.locator("#detail .delivery").first();
    await expect.poll(() => delivery.locator(".attempt.bad").count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await delivery.locator(".attempt.bad .code").first().textContent()).toBe("503");
    expect(await delivery.locator(".attempt.bad .attempt-error").first().textContent()).toBe("HTTP 503");
    await delivery.locator(".attempt.next").waitFor();
    expect(await dash.locator(`#runs tr.selected`).getAttribute("data-run")).toBe(second.run_id);
    expect(await dash.textContent("#detail .detail-head h2")).toBe(second.run_id);
    expect(await dash.locator("[data-dcount=retrying]").textContent()).toBe("1");
    await saveScreenshot(dash, "ui-dashboard-retrying.png");

    // 3. Back to 200: the next retry succeeds, live, and the failing list empties.
    await setInspectorAnswer(inspect, "200");
    await delivery.locator(".delivery-head .badge.ok", { hasText: "delivered" }).waitFor({ timeout: 10_000 });
    const attempts = delivery.locator(".timeline > li.attempt:not(.next)");
    const count = await attempts.count();
    expect(await attempts.nth(count - 1).locator(".code").textContent()).toBe("200");
    expect(await attempts.nth(count - 1).getAttribute("class")).toContain("ok");
    expect(await delivery.locator(".attempt.next").count()).toBe(0);
    await dash.locator("#failing").waitFor({ state: "hidden" });
    // The first run's hook, then every attempt of the second.
    await expect.poll(() => inspect.locator("#requests > li").count()).toBe(1 + count);
    const hooksBefore = 1 + count;

    // 4. Redeliver from the dashboard: a manual attempt appears, and the inspector gets the hook again.
    await delivery.locator("button.redeliver").click();
    await delivery.locator(".attempt .trigger.manual").waitFor({ timeout: 10_000 });
    expect(await delivery.locator(".timeline > li.attempt:not(.next)").count()).toBe(count + 1);
    await expect.poll(() => inspect.locator("#requests > li").count()).toBe(hooksBefore + 1);
    const redelivered = inspect.locator("#requests > li").first();
    await redelivered.locator(".verdict.valid").waitFor();

    // The run's detail: input, final values and the kept events.
    expect(await dash.textContent("#detail")).toContain('"content": "echo: second"');
    await dash.locator("#detail .events li").first().waitFor();

    // No reloads, no script errors, and the webhook's token is nowhere on the dashboard.
    expect(dashWatch.loads()).toBe(1);
    expect(inspectWatch.loads()).toBe(1);
    expect([...dashWatch.errors, ...inspectWatch.errors]).toEqual([]);
    expect(await dash.content()).not.toContain(token);
    expect(await dash.content()).toContain("token=***");

    await saveScreenshot(dash, "ui-dashboard.png");
    await inspect.waitForFunction(() => !document.querySelector(".fresh"));
    await saveScreenshot(inspect, "ui-inspect.png");
  }, 120_000);
});
