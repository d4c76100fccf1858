import { createServer } from "node:net";

/** A free loopback port: listen on port 0, note the port, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Throws unless `url` points at the loopback range: the benchmark sends traffic nowhere else. */
export function assertLoopback(url) {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  if (!(host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host))) {
    throw new Error(`refusing to benchmark ${url}: only loopback addresses are allowed`);
  }
}
