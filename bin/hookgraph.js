#!/usr/bin/env node
// dist/ is compiled by the `prepare` script (npm ci, npm pack, git dependencies) and ships in the package.
import { main } from "../dist/cli/main.js";

main(process.argv).catch((error) => {
  process.stderr.write(`hookgraph: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
