#!/usr/bin/env node
// Summarises V8 .cpuprofile files (from `npm run bench -- --profile`): the functions with the most
// self time and the most inclusive time, as "function (file:line)". Tsx's per-load query
// (`?tsx-namespace=...`) is dropped from module URLs.
// usage: node bench/profile-top.js FILE.cpuprofile... [--top N]
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { ROOT_DIR } from "./lib/paths.js";

// A reader that goes away (`| head`) ends the listing quietly.
process.stdout.on("error", () => process.exit(0));

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "25" } } });
if (positionals.length === 0) {
  process.stderr.write("usage: node bench/profile-top.js FILE.cpuprofile... [--top N]\n");
  process.exit(2);
}
const top = Number(values.top);

function frameName({ callFrame: f }) {
  const path = f.url.replace(/^file:\/\//, "").replace(/\?tsx-namespace=[^:]*$/, "");
  const where = path ? relative(ROOT_DIR, path).replace(/^(\.\.\/)+/, "") : "";
  const name = f.functionName || "(anonymous)";
  return where ? `${name} (${where}:${f.lineNumber + 1})` : name;
}

/** Sample counts per frame name: self (top of stack) and inclusive (anywhere on the stack, once). */
function tally(profile) {
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map();
  const inclusive = new Map();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + count);
    const seen = new Set(); // recursion must not count a frame twice
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const frame = frameName(byId.get(id));
      if (seen.has(frame) || frame === "(root)") continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + count);
    }
  }
  return { self, inclusive };
}

function summarise(file) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const total = profile.samples.length;
  const spanMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = spanMs / Math.max(1, total);
  const { self, inclusive } = tally(profile);
  const print = (title, map) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, count] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const pct = ((100 * count) / total).toFixed(1).padStart(5);
      const ms = (count * msPerSample).toFixed(0).padStart(7);
      process.stdout.write(`${pct}% ${ms} ms  ${name}\n`);
    }
  };
  process.stdout.write(`\n${file}: ${total} samples over ${(spanMs / 1000).toFixed(1)} s\n`);
  print("self time", self);
  print("inclusive time", inclusive);
}

for (const file of positionals) summarise(file);
