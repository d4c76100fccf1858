// A lean webhook receiver on 127.0.0.1 for draining a backlog: it only counts, keyed by the
// `webhook-id` header (one id per delivery, the same on every attempt), and never parses bodies.
import { createServer } from "node:http";
import { nowMs, sleep } from "./clock.js";

/**
 * `failFirstOfEvery`: when set to k, the first attempt of every k-th new delivery is answered 503
 * (k = 2: half of the first attempts); every other request, retries included, gets 200.
 */
export async function startBacklogReceiver({ failFirstOfEvery } = {}) {
  const seen = new Map(); // webhook-id -> { delivered: boolean }
  const stats = {
    requests: 0,
    firstAttempts: 0,
    delivered: 0,
    answered503: 0,
    firstAt: undefined, // monotonic ms of the first request
    lastFirstAttemptAt: undefined,
    lastDeliveredAt: undefined,
    duplicates: 0, // requests for a delivery already answered 200
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const t = nowMs();
      stats.requests += 1;
      stats.firstAt ??= t;
      const id = req.headers["webhook-id"];
      let entry = seen.get(id);
      let fail = false;
      if (!entry) {
        entry = { delivered: false };
        seen.set(id, entry);
        stats.firstAttempts += 1;
        stats.lastFirstAttemptAt = t;
        fail = failFirstOfEvery !== undefined && stats.firstAttempts % failFirstOfEvery === 0;
      }
      if (fail) {
        stats.answered503 += 1;
        res.writeHead(503, { "content-length": "0" }).end();
        return;
      }
      if (entry.delivered) stats.duplicates += 1;
      else {
        entry.delivered = true;
        stats.delivered += 1;
        stats.lastDeliveredAt = t;
      }
      res.writeHead(200, { "content-length": "0" }).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}/backlog`,
    stats,
    /** Waits until `done(stats)` holds, or `deadline` passes (then returns false). */
    async until(done, deadline) {
      while (!done(stats)) {
        if (deadline.passed()) return false;
        await sleep(20);
      }
      return true;
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
