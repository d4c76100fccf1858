// A local webhook receiver on 127.0.0.1: notes when each POST arrives, keyed by run_id.
import { createServer } from "node:http";
import { epochMs } from "./clock.js";

const MAX_BODY_BYTES = 1 << 20;
const MAX_UNCLAIMED = 10_000;

export async function startWebhookReceiver() {
  const arrived = new Map(); // run_id -> { receivedAt, payload }
  const waiters = new Map(); // run_id -> resolve
  const taps = new Set(); // (arrival) => true when the arrival is theirs
  let received = 0;

  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      // Timestamp first: parsing is the receiver's cost, not the server's.
      const receivedAt = epochMs();
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      let payload;
      try {
        payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return;
      }
      received += 1;
      const runId = payload?.run_id;
      if (typeof runId !== "string") return;
      const arrival = { receivedAt, payload };
      for (const tap of taps) if (tap(arrival)) return;
      const waiter = waiters.get(runId);
      if (waiter) {
        waiters.delete(runId);
        waiter(arrival);
      } else if (arrived.size < MAX_UNCLAIMED) {
        arrived.set(runId, arrival);
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();

  return {
    url: `http://127.0.0.1:${port}/hook`,
    get received() {
      return received;
    },
    /** The arrival for `runId`, waiting at most `timeoutMs`. */
    waitFor(runId, timeoutMs) {
      const early = arrived.get(runId);
      if (early) {
        arrived.delete(runId);
        return Promise.resolve(early);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(runId);
          reject(new Error(`no webhook for run ${runId} within ${timeoutMs / 1000}s`));
        }, timeoutMs);
        waiters.set(runId, (arrival) => {
          clearTimeout(timer);
          resolve(arrival);
        });
      });
    },
    /**
     * Calls `claim(arrival)` for every webhook from now on, before any waiter; an arrival it
     * returns true for is its own (not kept for waitFor). Returns the function that removes it.
     */
    tap(claim) {
      taps.add(claim);
      return () => taps.delete(claim);
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
