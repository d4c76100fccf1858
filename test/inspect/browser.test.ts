import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser, saveScreenshot } from "../helpers/browser.js";
import { startInspector, type Inspector } from "../../src/inspect/server.js";
import { listRequests, OTHER_SECRET, SECRET, signedHeaders } from "./support.js";

let browser: Browser;
let inspector: Inspector;
let target: Inspector;

beforeAll(async () => {
  browser = await launchBrowser();
  inspector = await startInspector({ port: 0, secret: SECRET });
  target = await startInspector({ port: 0 });
});

afterAll(async () => {
  await browser?.close();
  await inspector?.close();
  await target?.close();
});

function post(path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) {
  return fetch(`${inspector.url}${path}`, { method: "POST", headers, body });
}

describe("inspect page", () => {
  it("shows hooks live, edits responses, replays, and renders tidily", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    let navigations = 0;
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });

    await page.goto(`${inspector.url}/`);
    await expect.poll(() => page.textContent("#connection")).toBe("live");
    expect(await page.textContent("#webhook-url")).toBe(inspector.webhookUrl());

    // A signed hook appears, judged valid, without reloading.
    const body = JSON.stringify({
      event: "run.completed",
      run: { run_id: "9f1c", thread_id: "t-42", status: "success", values: { messages: [{ type: "ai", content: "Done." }] } },
      attempt: 1,
    });
    await post("/hooks/orders?token=abc", body, signedHeaders(body));
    const newest = page.locator("#requests > li").first();
    await newest.locator(".verdict.valid").waitFor();
    expect(await newest.locator("summary .target").textContent()).toBe("/hooks/orders?token=abc");
    expect(navigations).toBe(1);

    // The body is a tree whose values collapse.
    const run = newest.locator(".j-node", { hasText: "run:" }).first();
    await expect.poll(() => run.evaluate((node) => (node as HTMLDetailsElement).open)).toBe(true);
    await run.locator("> summary").click();
    await expect.poll(() => run.evaluate((node) => (node as HTMLDetailsElement).open)).toBe(false);
    await run.locator("> summary").click();

    // Unsigned and wrongly signed hooks get their verdicts too.
    await post("/hooks/billing", JSON.stringify({ invoice: "inv_1", amount: 1200 }));
    await page.locator("#requests > li").first().locator(".verdict.unsigned").waitFor();
    await post("/hooks/orders", body, signedHeaders(body, { secret: OTHER_SECRET }));
    await page.locator("#requests > li").first().locator(".verdict.invalid").waitFor();

    // Choose a path, set its answers in the form, and the next hooks get them.
    await page.locator("#paths button", { hasText: "/hooks/orders" }).click();
    expect(await page.inputValue("#rule-form input[name=path]")).toBe("/hooks/orders");
    await page.fill("#rule-form input[name=statuses]", "503,200");
    await page.fill("#rule-form input[name=retry_after]", "5");
    await page.click("#rule-form button[type=submit]");
    await expect.poll(() => page.textContent("#rule-message")).toBe("Applied to /hooks/orders");

    const refused = await post("/hooks/orders", body, signedHeaders(body));
    expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, "5"]);
    await page.locator("#requests > li").first().locator(".status.bad", { hasText: "503" }).waitFor();
    await page.locator("#rules .rule", { hasText: "1 served" }).waitFor();
    expect((await post("/hooks/orders", body, signedHeaders(body))).status).toBe(200);
    await page.locator("#rules .rule", { hasText: "2 served" }).waitFor();
    expect(await page.locator("#requests > li").count()).toBe(4); // filtered to /hooks/orders

    // Replay the newest request from the page to a second receiver.
    const latest = page.locator("#requests > li").first();
    if (!(await latest.locator("details.card").evaluate((node) => (node as HTMLDetailsElement).open))) {
      await latest.locator("summary").first().click();
    }
    await latest.locator(".replay input").fill(`${target.url}/replayed`);
    await latest.locator(".replay button").click();
    await expect.poll(() => latest.locator(".replay-result").textContent()).toBe("→ 200");
    const [copy] = await listRequests(target.url);
    expect(copy).toMatchObject({ method: "POST", path: "/replayed", body });

    await page.locator("#paths button", { hasText: "All requests" }).click();
    expect(await page.locator("#requests > li").count()).toBe(5);
    expect(errors).toEqual([]);
    await page.waitForFunction(() => !document.querySelector(".fresh"));
    await saveScreenshot(page, "inspect.png");
    await page.close();
  });
});
