import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../helpers/browser.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

// A web app on one origin calling hookgraph on another, in Chromium: what LangGraph Studio and
// browser apps built on the SDK do.

let browser: Browser;
let app: Server;
let appOrigin: string;
let dev: TestServer;
let serve: TestServer;

beforeAll(async () => {
  app = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>app</title>"));
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  [browser, dev, serve] = await Promise.all([launchBrowser(), startTestServer({ mode: "dev" }), startTestServer({ mode: "serve" })]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all([dev?.dispose(), serve?.dispose()]);
  await new Promise((resolve) => app?.close(resolve));
});

/** In the page: a JSON POST (preflighted), its exposed Content-Location, then a streamed run read to its end. */
function callFromPage(page: Page, api: string) {
  return page.evaluate(async (api) => {
    try {
      const json = { "content-type": "application/json" };
      const input = { messages: [{ role: "user", content: "from the browser" }] };
      const created = await fetch(`${api}/runs`, { method: "POST", headers: json, body: JSON.stringify({ assistant_id: "echo", input }) });
      const stream = await fetch(`${api}/runs/stream`, { method: "POST", headers: json, body: JSON.stringify({ assistant_id: "echo", input }) });
      return { ok: true, status: created.status, location: created.headers.get("content-location"), events: await stream.text() };
    } catch (error) {
      return { ok: false, error: String(error) };
    }
  }, api);
}

describe("CORS in a browser", () => {
  it("a page on another origin calls the dev server, reads Content-Location and a whole event stream", async () => {
    const page = await browser.newPage();
    await page.goto(appOrigin);
    const result = await callFromPage(page, dev.url);
    expect(result).toMatchObject({ ok: true, status: 200, location: expect.stringMatching(/^\/runs\/[0-9a-f-]{36}$/) });
    expect(result.events).toContain("event: metadata");
    expect(result.events).toContain("from the browser");
    await page.close();
  });

  it("the browser refuses the same calls to a serve server without http.cors", async () => {
    const page = await browser.newPage();
    await page.goto(appOrigin);
    expect(await callFromPage(page, serve.url)).toEqual({ ok: false, error: "TypeError: Failed to fetch" });
    await page.close();
  });
});
