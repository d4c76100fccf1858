import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temp directory for one server's (or one storage's) data. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "hookgraph-test-"));
}
