import Fastify, { type FastifyInstance } from "fastify";
import type { Config } from "../config/config.js";
import { VERSION } from "../version.js";

export interface AppDeps {
  config: Config;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.config.mode === "dev" ? { level: deps.config.logLevel } : { level: deps.config.logLevel },
  });
  app.get("/ok", async () => ({ ok: true }));
  app.get("/info", async () => ({
    version: VERSION,
    flags: { assistants: true, crons: false },
  }));
  return app;
}
