import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("errors raised by the router itself", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.dispose());

  it("answers an overlong path parameter with {detail}, without echoing the path", async () => {
    const longId = "a".repeat(150);
    const response = await fetch(`${server.url}/threads/${longId}`);
    expect(response.status).toBe(414);
    const body = (await response.json()) as { detail: string };
    expect(body).toEqual({ detail: "a path parameter is longer than 100 characters" });
  });

  it("answers a malformed URL component with {detail}", async () => {
    const response = await fetch(`${server.url}/threads/%E0%A4%A`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: "the request URL is not valid" });
  });
});
