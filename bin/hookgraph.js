#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm ci` (the `prepare` script).
import { main } from "../dist/cli/main.js";

main(process.argv).catch((error) => {
  process.stderr.write(`hookgraph: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
