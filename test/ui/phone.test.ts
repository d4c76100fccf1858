import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, saveScreenshot } from "../helpers/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { startInspector, type Inspector } from "../../src/inspect/server.js";
import { getJson, SIGNING_SECRET, startRun, waitForRun } from "./support.js";

// Both pages at a phone's width (375 px), and a delivery whose run was deleted (stateless runs
// are, once they end): still shown, with its attempts, and redeliverable.

const PHONE = { width: 375, height: 800 };
const THROW_SITE = `${fileURLToPath(new URL("../fixtures/graphs/error.ts", import.meta.url))}:13:11`;

let browser: Browser;
let server: TestServer;
let inspector: Inspector;

beforeAll(async () => {
  [browser, server, inspector] = await Promise.all([
    launchBrowser(),
    // A graph worker thread, as `hookgraph dev` runs graphs: its stacks are source-mapped.
    startTestServer({ workers: 1, env: { LANGGRAPH_WEBHOOKS: JSON.stringify({ signing_secret: SIGNING_SECRET, retry: { schedule: [] } }) } }),
    startInspector({ port: 0, secret: SIGNING_SECRET, responses: [{ path: "/hooks/gone", statuses: [410], delay_ms: 0, retry_after: null }] }),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
  await inspector?.close();
});

/**
 * What sticks out of the viewport sideways without a scrolling or clipping box around it that
 * stays inside: nothing may, on a page meant to be usable at this width.
 */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width) found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    for (const node of document.body.querySelectorAll("*")) {
      const rect = node.getBoundingClientRect();
      if (rect.width === 0 || (rect.right <= width + 0.5 && rect.left >= -0.5)) continue;
      let contained = false;
      for (let box = node.parentElement; box && box !== document.body; box = box.parentElement) {
        const boxRect = box.getBoundingClientRect();
        if (getComputedStyle(box).overflowX !== "visible" && boxRect.right <= width + 0.5 && boxRect.left >= -0.5) contained = true;
      }
      if (!contained) found.push(`${node.tagName.toLowerCase()}.${[...node.classList].join(".")} spans ${Math.round(rect.left)}–${Math.round(rect.right)}`);
    }
    return found;
  });
}

/** Whether the element is on screen and not covered or cut off: what a thumb could press. */
function pressable(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((node) => {
    node.scrollIntoView({ block: "center" });
    const rect = node.getBoundingClientRect();
    const hit = document.elementFromPoint(rect.left + rect.width / 2, rect.top + rect.height / 2);
    return rect.left >= 0 && rect.right <= document.documentElement.clientWidth && hit !== null && node.contains(hit);
  });
}

describe("at a phone's width", () => {
  it("the dashboard: a deleted stateless run's delivery, its attempts and Redeliver; a failing node's stack", async () => {
    // A stateless run (deleted when it ends) whose receiver answers 410: its delivery fails at once.
    const response = await fetch(`${server.url}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ assistant_id: "echo", input: { messages: [{ role: "user", content: "gone" }] }, webhook: inspector.webhookUrl("gone") }),
    });
    const stateless = (await response.json()) as { run_id: string };
    await expect
      .poll(async () => (await getJson<{ failing: { run_id: string }[] }>(`${server.url}/ui/api/overview`)).failing.map((row) => row.run_id), { timeout: 15_000 })
      .toContain(stateless.run_id);
    const failed = await startRun(server.url, { assistant: "error" });
    await waitForRun(server.url, failed.run_id);

    const page = await browser.newPage({ viewport: PHONE });
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${server.url}/ui`);
    const failing = page.locator(`#failing-list li[data-delivery]`, { has: page.locator(`a.run-link`, { hasText: stateless.run_id.slice(0, 8) }) });
    await failing.waitFor();
    expect(await pressable(page, `#failing-list li[data-delivery] .redeliver`)).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    await saveScreenshot(page, "ui-phone.png");

    // The failing list links the deleted run: its delivery, from what the delivery kept.
    await failing.locator("a.run-link").click();
    await page.locator("#detail .note.deleted").waitFor();
    expect(await page.textContent("#detail .facts")).toContain("echo");
    const card = page.locator("#detail .delivery");
    await card.locator(".attempt[data-attempt='1'] .code", { hasText: "410" }).waitFor();
    expect(await card.locator(".url").textContent()).toMatch(/\?token=\*\*\*$/);
    expect(await pressable(page, "#detail .delivery .redeliver")).toBe(true);
    await card.locator(".redeliver").click();
    await card.locator(".attempt[data-attempt='2'] .trigger.manual").waitFor();
    expect(await overflowing(page)).toEqual([]);
    await saveScreenshot(page, "ui-phone-deleted-run.png");

    // A failing node: where it threw, the user's TypeScript line marked.
    await page.goto(`${server.url}/ui?run=${failed.run_id}`);
    await page.locator("#detail pre.stack .own", { hasText: THROW_SITE }).waitFor();
    expect(await page.textContent("#detail .run-error")).toBe("FixtureFailure: the fixture graph failed on purpose");
    expect(await overflowing(page)).toEqual([]);
    await saveScreenshot(page, "ui-phone-stack.png");
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("the inspector: the webhook URL whole, every request readable", async () => {
    const page = await browser.newPage({ viewport: PHONE });
    await page.goto(`${inspector.url}/`);
    const body = JSON.stringify({ run_id: "phone", status: "success" });
    await fetch(inspector.webhookUrl("phone"), { method: "POST", headers: { "content-type": "application/json" }, body });
    await page.locator("#requests > li").first().waitFor();
    const url = page.locator("#webhook-url");
    expect(await url.textContent()).toBe(inspector.webhookUrl());
    // Wrapped, not cut: all of it shows.
    expect(await url.evaluate((node) => node.scrollWidth <= node.clientWidth && node.scrollHeight <= node.clientHeight)).toBe(true);
    expect(await pressable(page, "#copy-url")).toBe(true);
    expect(await overflowing(page)).toEqual([]);
    await saveScreenshot(page, "inspect-phone.png");
    await page.close();
  });
});
