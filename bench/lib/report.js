// The printed table and the JSON written to bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { METRICS } from "./figures/metrics.js";
import { FIGURES } from "./figures/index.js";
import { formatMachine } from "./machine.js";

const NAMES = ["hookgraph", "official"];

function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Adds the per-run overhead above the floor: runs.wait p50 minus the in-process p50. */
export function addOverhead(serverResult, floor) {
  const latency = serverResult.figures.latency;
  const wait = latency?.metrics?.find((m) => m.id === "wait_p50");
  if (!wait || !floor?.metrics) {
    const why = !wait ? "needs (1) runs.wait latency" : "needs the floor";
    serverResult.figures.overhead = latency?.error || floor?.error ? { error: why } : { notApplicable: why };
    return;
  }
  const floorValue = (id) => floor.metrics.find((m) => m.id === id)?.value;
  serverResult.figures.overhead = {
    samples: "runs.wait p50 minus the floor's p50",
    metrics: [
      { id: "overhead_plain", value: wait.value - floorValue("floor_plain_p50") },
      // Like for like: the echo runs are stateless and deleted on completion, so hookgraph checkpoints them at exit.
      { id: "overhead_sqlite", value: wait.value - floorValue("floor_sqlite_exit_p50") },
    ],
  };
}

/** What a server's column shows for one metric: a value, or why there is none. */
function cellOf(serverResult, figureId, metricId) {
  if (!serverResult) return { text: "not run" };
  const figure = serverResult.figures[figureId];
  if (!figure) return { text: "—" };
  if (figure.error) return { text: "failed" };
  if (figure.unavailable) return { text: "not yet" };
  if (figure.notApplicable) return { text: "n/a" };
  const found = figure.metrics?.find((m) => m.id === metricId);
  return found ? { text: formatNumber(found.value), metric: found } : { text: "—" };
}

function ratioOf(a, b) {
  if (!a?.metric || !b?.metric) return "";
  if (a.metric.n !== undefined && a.metric.n !== b.metric.n) return `(N ${a.metric.n} vs ${b.metric.n})`;
  if (!(b.metric.value > 0) || a.metric.id.startsWith("overhead")) return "";
  return `${formatNumber(a.metric.value / b.metric.value)}×`;
}

function tableRows(results, counts) {
  const figureOf = Object.fromEntries(FIGURES.flatMap((f) => f.metrics.map((id) => [id, f.id])));
  figureOf.overhead_plain = "overhead";
  figureOf.overhead_sqlite = "overhead";
  return Object.entries(METRICS)
    .filter(([id]) => figureOf[id])
    .map(([id, def]) => {
      const [hg, off] = NAMES.map((name) => cellOf(results[name], figureOf[id], id));
      const runCount = (cell, name) => cell.metric?.n ?? counts[name]?.memoryRuns ?? "-";
      const label = id === "rss_after" ? def.label.replace("N", `N (${runCount(hg, "hookgraph")} / ${runCount(off, "official")})`) : def.label;
      return { id, label, unit: def.unit, better: def.better, hookgraph: hg.text, official: off.text, ratio: ratioOf(hg, off) };
    });
}

function renderTable(rows) {
  const header = { label: "figure", unit: "unit", hookgraph: "hookgraph", official: "official", ratio: "hookgraph/official", better: "better" };
  const cols = ["label", "unit", "hookgraph", "official", "ratio", "better"];
  const all = [header, ...rows];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...all.map((r) => String(r[c]).length))]));
  const right = new Set(["hookgraph", "official", "ratio"]);
  const line = (r) => cols.map((c) => (right.has(c) ? String(r[c]).padStart(width[c]) : String(r[c]).padEnd(width[c]))).join("  ");
  return [line(header), cols.map((c) => "-".repeat(width[c])).join("  "), ...rows.map(line)].join("\n");
}

function renderNotes(results) {
  const lines = [];
  for (const name of NAMES) {
    const result = results[name];
    if (!result) continue;
    if (result.error) {
      lines.push(`${name}: FAILED: ${result.error}`);
      continue;
    }
    lines.push(`${name} (started in ${(result.startupMs / 1000).toFixed(1)}s, log ${result.log}):`);
    for (const figure of FIGURES) {
      const outcome = result.figures[figure.id];
      if (!outcome) continue;
      const text = outcome.error
        ? `FAILED: ${outcome.error}`
        : outcome.unavailable ?? (outcome.notApplicable ? `n/a: ${outcome.notApplicable}` : outcome.samples);
      lines.push(`  ${figure.title}: ${text}`);
    }
  }
  return lines.join("\n");
}

function renderFloor(floor) {
  if (!floor) return "floor: skipped (--no-floor)";
  if (floor.error) return `floor: FAILED: ${floor.error}`;
  const [plain, sqlite, sqliteExit] = floor.metrics.map((m) => formatNumber(m.value));
  return (
    `floor (echo graph invoked in-process, no HTTP): p50 ${plain} ms without a checkpointer, ${sqlite} ms with the SQLite saver ` +
    `(${sqliteExit} ms checkpointing at exit)\n  samples: ${floor.samples}`
  );
}

export function renderReport({ machine, profileName, rounds, floor, results, counts }) {
  return [
    "",
    `hookgraph benchmark — ${profileName} profile, each figure the median of ${rounds} rounds`,
    `machine: ${formatMachine(machine)}`,
    renderFloor(floor),
    "",
    renderTable(tableRows(results, counts)),
    "",
    "samples and failures:",
    renderNotes(results),
    "",
  ].join("\n");
}

export function writeJson(dir, report) {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  const file = join(dir, `bench-${stamp}-${report.profile}.json`);
  writeFileSync(file, `${JSON.stringify({ ...report, table: tableRows(report.results, report.counts) }, null, 2)}\n`);
  return file;
}
