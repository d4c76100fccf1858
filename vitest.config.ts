import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Starting Chromium, servers and CLI processes side by side can take long on a loaded 2-core machine.
    hookTimeout: 120_000,
    // Each file starts its own servers on random ports; two cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
