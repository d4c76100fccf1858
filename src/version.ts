import { readFileSync } from "node:fs";

/** hookgraph's own version, read once from package.json (sent as the webhook User-Agent). */
export const VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
