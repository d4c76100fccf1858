import { expect } from "vitest";

/** A Standard Webhooks secret shared by the server (signing) and the inspector (checking). */
export const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export interface CreatedRun {
  run_id: string;
  thread_id: string;
  assistant_id: string;
  status: string;
  kwargs: Record<string, unknown>;
}

async function json<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function createThread(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/threads`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  return (await json<{ thread_id: string }>(response, "POST /threads")).thread_id;
}

/** A background run on a thread (a new one unless given), as a client of the API makes it. */
export async function startRun(
  baseUrl: string,
  options: { assistant: string; text?: string; webhook?: string; threadId?: string; config?: Record<string, unknown> },
): Promise<CreatedRun> {
  const threadId = options.threadId ?? (await createThread(baseUrl));
  const body = {
    assistant_id: options.assistant,
    input: { messages: [{ role: "user", content: options.text ?? "hello" }] },
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(options.config ? { config: options.config } : {}),
  };
  const response = await fetch(`${baseUrl}/threads/${threadId}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return json<CreatedRun>(response, "POST /threads/{id}/runs");
}

export async function getJson<T>(url: string): Promise<T> {
  return json<T>(await fetch(url), `GET ${url}`);
}

/** Polls the dashboard's own JSON until the run's delivery reaches `status`. */
export async function waitForDelivery(baseUrl: string, runId: string, status: string, timeout = 15_000): Promise<void> {
  await expect
    .poll(
      async () => {
        const detail = await getJson<{ deliveries: { status: string }[] }>(`${baseUrl}/ui/api/runs/${runId}`);
        return detail.deliveries[0]?.status;
      },
      { timeout, interval: 100 },
    )
    .toBe(status);
}

export async function waitForRun(baseUrl: string, runId: string, timeout = 15_000): Promise<void> {
  await expect
    .poll(async () => (await getJson<{ run: { status: string } }>(`${baseUrl}/ui/api/runs/${runId}`)).run.status, { timeout, interval: 50 })
    .toMatch(/^(success|error|timeout|interrupted)$/);
}
