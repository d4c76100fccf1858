// Temporary variants of bench/langgraph.json: the same graphs with extra settings for one server.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/**
 * `configPath`'s langgraph.json with `extra` merged in at the top level, written to a temp dir;
 * graph paths become absolute so they still resolve from there.
 */
export function writeConfigVariant(configPath, extra) {
  const dir = mkdtempSync(join(tmpdir(), "hookgraph-bench-config-"));
  const base = JSON.parse(readFileSync(configPath, "utf8"));
  const graphs = Object.fromEntries(Object.entries(base.graphs).map(([id, spec]) => [id, resolve(dirname(configPath), spec)]));
  const path = join(dir, "langgraph.json");
  writeFileSync(path, JSON.stringify({ ...base, graphs, ...extra }, null, 2));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
