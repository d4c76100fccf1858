import { defineConfig } from "vitest/config";

/**
 * The API suite: what a client sees. `npm test` runs it on both backends — the embedded SQLite
 * database, then PostgreSQL + Redis (HOOKGRAPH_TEST_BACKEND=postgres) — while everything else
 * (units, storage conformance, bus, CLI, browsers, cluster processes) runs once: the storage and
 * bus suites loop over both dialects themselves.
 */
const API_SUITE = [
  "test/api/**/*.test.ts",
  "test/runs/**/*.test.ts",
  "test/webhooks/e2e-*.test.ts",
  "test/crons/api.test.ts",
  "test/crons/firing.test.ts",
  "test/ui/dashboard.test.ts",
  "test/http/cors.test.ts",
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // Starting Chromium, servers and CLI processes side by side can take long on a loaded 2-core machine.
    hookTimeout: 120_000,
    // Each file starts its own servers on random ports; two cores.
    pool: "forks",
    maxWorkers: 2,
    globalSetup: ["test/helpers/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "postgres",
          include: API_SUITE,
          // Embedded by design: the CLI on a data dir, killed and restarted (test/cluster covers PostgreSQL).
          exclude: ["test/runs/recovery.test.ts"],
          env: { HOOKGRAPH_TEST_BACKEND: "postgres" },
          setupFiles: ["test/helpers/postgres-setup.ts"],
        },
      },
    ],
  },
});
