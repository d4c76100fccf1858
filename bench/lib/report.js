// The printed table and the JSON written to bench/results/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { METRICS } from "./figures/metrics.js";
import { FIGURES } from "./figures/index.js";
import { formatMachine } from "./machine.js";
import { cellOf, formatNumber, ratioOf, renderTable } from "./table.js";
import { scaleOut, renderScaleOut } from "./report-postgres.js";

const NAMES = ["hookgraph", "official"];

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

function renderMainTable(rows) {
  const header = { label: "figure", unit: "unit", hookgraph: "hookgraph", official: "official", ratio: "hookgraph/official", better: "better" };
  return renderTable(header, rows, new Set(["hookgraph", "official", "ratio"]));
}

function renderNotes(results) {
  const lines = [];
  for (const [name, result] of Object.entries(results)) {
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
    renderMainTable(tableRows(results, counts)),
    "",
    ...renderScaleOut(scaleOut(results)),
    "samples and failures:",
    renderNotes(results),
    "",
  ].join("\n");
}

export function writeJson(dir, report) {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  const file = join(dir, `bench-${stamp}-${report.profile}.json`);
  const json = { ...report, table: tableRows(report.results, report.counts), scaleOut: scaleOut(report.results) };
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  return file;
}
