import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, saveScreenshot } from "../helpers/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startInspector, type Inspector } from "../../src/inspect/server.js";
import { createThread, getJson, SIGNING_SECRET, startRun, waitForDelivery, waitForRun } from "./support.js";

// The dashboard's own controls (filters, status chips, run selection) against an in-process server.

let browser: Browser;
let server: TestServer;
let inspector: Inspector;

beforeAll(async () => {
  [browser, server, inspector] = await Promise.all([
    launchBrowser(),
    // Graphs on the main thread (`workers: 0`): the page does not depend on where they run.
    startTestServer({ workers: 0, env: { LANGGRAPH_WEBHOOKS: JSON.stringify({ signing_secret: SIGNING_SECRET, retry: { schedule: [] } }) } }),
    startInspector({ port: 0, secret: SIGNING_SECRET, responses: [{ path: "/hooks/gone", statuses: [410], delay_ms: 0, retry_after: null }] }),
  ]);
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await inspector?.close();
});

async function openDashboard(path = "/ui") {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  let loads = 0;
  page.on("pageerror", (error) => problems.push(error.message));
  // A Content-Security-Policy refusal shows up as a console error.
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("load", () => (loads += 1));
  await page.goto(`${server.url}${path}`);
  return { page, problems, loads: () => loads };
}

const rowStatuses = (page: Page) => page.locator("#runs tr.run .status").allTextContents();
const rowIds = (page: Page) => page.locator("#runs tr.run").evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.run));

describe("dashboard page", () => {
  it("filters by status, thread and assistant, and follows a run from running to done, without reloading", async () => {
    const thread = await createThread(server.url);
    const a = await startRun(server.url, { assistant: "echo", threadId: thread, text: "one" });
    await waitForRun(server.url, a.run_id);
    const b = await startRun(server.url, { assistant: "echo", threadId: thread, text: "two", webhook: inspector.webhookUrl("ok") });
    const failed = await startRun(server.url, { assistant: "error" });
    const gone = await startRun(server.url, { assistant: "echo", webhook: inspector.webhookUrl("gone") });
    for (const run of [b, failed]) await waitForRun(server.url, run.run_id);
    await waitForDelivery(server.url, b.run_id, "succeeded");
    await waitForDelivery(server.url, gone.run_id, "failed");

    const { page, problems, loads } = await openDashboard();
    // Server-rendered counts, then the list.
    expect(await page.textContent("[data-count=all]")).toBe("4");
    expect(await page.textContent("[data-count=error]")).toBe("1");
    expect(await page.textContent("[data-dcount=failed]")).toBe("1");
    await page.locator("#runs tr.run").nth(3).waitFor();
    expect(await rowIds(page)).toEqual([gone.run_id, failed.run_id, b.run_id, a.run_id]);
    await page.locator("#failing-list li .badge", { hasText: "failed" }).waitFor();

    // A status chip filters the list and lands in the URL.
    await page.click("#run-counts .chip[data-status=error]");
    await expect.poll(() => rowIds(page)).toEqual([failed.run_id]);
    expect(new URL(page.url()).searchParams.get("status")).toBe("error");
    expect(await page.getAttribute("#run-counts .chip[data-status=error]", "class")).toContain("selected");
    expect(await page.inputValue("#filters select[name=status]")).toBe("error");
    await page.click("#run-counts .chip[data-status='']");
    await expect.poll(async () => (await rowIds(page)).length).toBe(4);

    // A thread link filters by its thread.
    await page.locator(`#runs tr[data-run="${a.run_id}"] a.thread`).click();
    await expect.poll(() => rowIds(page)).toEqual([b.run_id, a.run_id]);
    expect(await page.inputValue("#filters input[name=thread_id]")).toBe(thread);
    expect(await page.textContent("[data-count=all]")).toBe("2"); // counts follow the other filters

    // The assistant select: only the error graph's runs.
    await page.fill("#filters input[name=thread_id]", "");
    const errorAssistant = await page.locator("#filters select[name=assistant_id] option", { hasText: "error" }).getAttribute("value");
    await page.selectOption("#filters select[name=assistant_id]", errorAssistant!);
    await expect.poll(() => rowStatuses(page)).toEqual(["error"]);
    expect(new URL(page.url()).searchParams.get("assistant_id")).toBe(errorAssistant);
    await page.selectOption("#filters select[name=assistant_id]", "");
    await expect.poll(async () => (await rowIds(page)).length).toBe(4);

    // A run that is running now shows up live, then turns to success.
    const slow = await startRun(server.url, { assistant: "slow", config: { configurable: { delay_ms: 300 } } });
    const slowRow = page.locator(`#runs tr[data-run="${slow.run_id}"]`);
    await slowRow.locator(".status.s-running").waitFor({ timeout: 5_000 });
    expect(await page.textContent("[data-count=running]")).toBe("1");
    await slowRow.locator(".status.s-success").waitFor({ timeout: 10_000 });
    await expect.poll(() => page.textContent("[data-count=running]")).toBe("0");

    // Selecting a run opens its detail; the error run shows its failure in the final values.
    await page.locator(`#runs tr[data-run="${failed.run_id}"] td`).first().click(); // the row's middle is the thread link
    await page.locator("#detail .detail-head .status.s-error").waitFor();
    expect(new URL(page.url()).searchParams.get("run")).toBe(failed.run_id);
    expect(await page.textContent("#detail")).toContain("This run has no webhook.");
    expect(await page.textContent("#detail .run-error")).toBe("FixtureFailure: the fixture graph failed on purpose");
    await page.click("#detail .detail-head button");
    await page.locator("#detail .placeholder").waitFor();

    await page.locator(`#runs tr[data-run="${b.run_id}"] td`).first().click();
    await page.locator("#detail .delivery .badge.ok", { hasText: "delivered" }).waitFor();
    expect(await page.textContent("#detail .facts")).toContain("echo (echo)");
    expect(await page.locator("#detail .run-error").count()).toBe(0);
    expect(await page.locator("#detail").evaluate((node) => [...node.childNodes].some((child) => child.nodeType === Node.TEXT_NODE && child.textContent!.trim() !== ""))).toBe(false);
    await saveScreenshot(page, "ui-dashboard-filters.png");

    expect(loads()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("opens a deep link with its filters and run, rendered by the server", async () => {
    const overview = await getJson<{ runs: { run_id: string; status: string }[] }>(`${server.url}/ui/api/overview?status=error`);
    const runId = overview.runs[0].run_id;
    const html = await (await fetch(`${server.url}/ui?status=error&run=${runId}`)).text();
    expect(html).toMatch(/<option value="error" selected>/);
    expect(html).toMatch(/class="chip c-error selected"/);

    const { page, problems } = await openDashboard(`/ui?status=error&run=${runId}`);
    await page.locator("#detail .detail-head .status.s-error").waitFor();
    expect(await rowStatuses(page)).toEqual(overview.runs.map(() => "error"));
    expect(await page.textContent("#detail .detail-head h2")).toBe(runId);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("says when the server cannot be reached, and recovers", async () => {
    const { page } = await openDashboard();
    await expect.poll(() => page.textContent("#connection")).toBe("live");
    await page.route("**/ui/api/overview*", (route) => route.abort());
    await expect.poll(() => page.textContent("#connection"), { timeout: 5_000 }).toBe("offline, retrying…");
    await page.unroute("**/ui/api/overview*");
    await expect.poll(() => page.textContent("#connection"), { timeout: 5_000 }).toBe("live");
    await page.close();
  });

  it("pages to older runs and back to the newest, without reloading", async () => {
    const thread = await createThread(server.url);
    const created: string[] = [];
    for (let i = 0; i < 53; i += 1) created.push((await startRun(server.url, { assistant: "echo", threadId: thread, text: `n${i}` })).run_id);
    const newestFirst = [...created].reverse();

    const { page, problems, loads } = await openDashboard(`/ui?thread_id=${thread}`);
    await expect.poll(() => rowIds(page)).toEqual(newestFirst.slice(0, 50));
    expect(await page.textContent("#runs-footer")).toBe("Newest 50 of 53 runs · Older →");

    await page.click("#runs-footer a.runs-older");
    await expect.poll(() => rowIds(page)).toEqual(newestFirst.slice(50));
    expect(await page.textContent("#runs-footer")).toBe("3 older runs of 53 · ← Newest");
    expect(new URL(page.url()).searchParams.get("before")).toBe(newestFirst[49]);

    // A new run does not shift the older page; the newest page shows it.
    const latest = await startRun(server.url, { assistant: "echo", threadId: thread, text: "latest" });
    await expect.poll(() => page.textContent("#runs-footer")).toBe("3 older runs of 54 · ← Newest");
    expect(await rowIds(page)).toEqual(newestFirst.slice(50));
    await page.click("#runs-footer a.runs-newest");
    await expect.poll(async () => (await rowIds(page))[0]).toBe(latest.run_id);
    expect(new URL(page.url()).searchParams.get("before")).toBeNull();

    expect(loads()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
