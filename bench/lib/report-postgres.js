// The PostgreSQL mode's part of the report: each deployment of N `hookgraph serve` processes beside
// embedded SQLite (the `hookgraph` server), the ratios between them, the CPU they used, the
// cross-process wake-up, and the targets the mode is held to.
import { METRICS } from "./figures/metrics.js";
import { FIGURES } from "./figures/index.js";
import { SCALE_OUT_FIGURES } from "./servers/postgres.js";
import { cellOf, formatNumber, ratioOf, renderTable } from "./table.js";

const EMBEDDED = "hookgraph";
const SPLIT = "postgres-split";

// Throughput "grows" from one deployment to the next when it rises by 5% or more (less is within
// the noise of a shared machine); once the cores were 90% busy, holding within 10% is enough.
const GROWTH = 1.05;
const BUSY = 0.9;
const HOLD = 0.9;

const TARGETS = { throughputShare: 0.5, wakeupP50Ms: 5, webhookP50Ms: 10 };

const figureOf = Object.fromEntries(FIGURES.flatMap((f) => f.metrics.map((id) => [id, f.id])));

function metricOf(result, id) {
  return cellOf(result, figureOf[id], id).metric;
}

/** The ratio column after deployment column i: the first against embedded, each next against the one before. */
const ratioKey = (columns, i) => (i === 0 ? `${columns[0]}/embedded` : `${columns[i]}/${columns[i - 1]}`);

const percent = (fraction) => (fraction === undefined ? "—" : `${(fraction * 100).toFixed(0)}%`);
const ms = (value) => (value === undefined ? "—" : formatNumber(value));

/** The deployments of N `serve` processes that were measured, fewest processes first. */
function deploymentsOf(results) {
  return Object.values(results)
    .filter((r) => r.processes)
    .sort((a, b) => a.processes - b.processes);
}

function tableOf(embedded, deployments) {
  const columns = deployments.map((d) => `×${d.processes}`);
  const rows = Object.entries(METRICS)
    .filter(([id]) => SCALE_OUT_FIGURES.includes(figureOf[id]))
    .map(([id, def]) => {
      const base = cellOf(embedded, figureOf[id], id);
      const cells = deployments.map((d) => cellOf(d, figureOf[id], id));
      const row = { id, label: def.label, unit: def.unit, better: def.better, embedded: base.text };
      cells.forEach((cell, i) => {
        row[columns[i]] = cell.text;
        row[ratioKey(columns, i)] = ratioOf(cell, i === 0 ? base : cells[i - 1]);
      });
      return row;
    });
  // Where the CPU went at c=16: busy cores say whether more processes could add throughput.
  const cpuRow = (label, unit, read) => {
    const row = { id: `cpu:${label}`, label, unit, better: "", embedded: read(metricOf(embedded, "throughput_c16")) };
    deployments.forEach((d, i) => (row[columns[i]] = read(metricOf(d, "throughput_c16"))));
    return row;
  };
  rows.push(
    cpuRow("(2) c=16: cores busy (whole machine)", "%", (m) => percent(m?.machineBusy)),
    cpuRow("(2) c=16: CPU per run, hookgraph processes", "ms", (m) => ms(m?.cpuMsPerRun?.server)),
    cpuRow("(2) c=16: CPU per run, PostgreSQL backends", "ms", (m) => ms(m?.cpuMsPerRun?.postgres)),
    cpuRow("(2) c=16: CPU per run, Redis (shared server)", "ms", (m) => ms(m?.cpuMsPerRun?.redis)),
  );
  return { columns, rows };
}

function verdict(pass, detail) {
  return { pass, detail };
}

/** One process on PostgreSQL against embedded SQLite, at c=16. */
function throughputShare(embedded, deployments) {
  const one = deployments.find((d) => d.processes === 1);
  const a = metricOf(one, "throughput_c16");
  const b = metricOf(embedded, "throughput_c16");
  if (!a || !b) return verdict(null, "not measured (needs (2) throughput on embedded and on 1 process)");
  const share = a.value / b.value;
  return verdict(share >= TARGETS.throughputShare, `${formatNumber(share)}× (${formatNumber(a.value)} vs ${formatNumber(b.value)} runs/s)`);
}

/** From each deployment to the next: growth, or the cores already busy and throughput held. */
function scaling(deployments, id) {
  if (deployments.length < 2) return verdict(null, "not measured (needs two process counts)");
  const steps = [];
  for (let i = 1; i < deployments.length; i += 1) {
    const before = metricOf(deployments[i - 1], id);
    const after = metricOf(deployments[i], id);
    const step = `${deployments[i - 1].processes}→${deployments[i].processes}`;
    if (!before || !after) {
      steps.push({ pass: null, text: `${step} not measured` });
      continue;
    }
    const ratio = after.value / before.value;
    const busy = before.machineBusy >= BUSY;
    const pass = ratio >= GROWTH || (busy && ratio >= HOLD);
    steps.push({ pass, text: `${step} ${formatNumber(ratio)}× (cores ${percent(before.machineBusy)} busy at ${deployments[i - 1].processes})` });
  }
  const pass = steps.some((s) => s.pass === null) ? null : steps.every((s) => s.pass);
  return verdict(pass, steps.map((s) => s.text).join(", "));
}

function wakeup(split) {
  const p50 = metricOf(split, "wakeup_p50");
  if (!p50) return verdict(null, "not measured");
  return verdict(p50.value <= TARGETS.wakeupP50Ms, `p50 ${formatNumber(p50.value)} ms, p99 ${ms(metricOf(split, "wakeup_p99")?.value)} ms`);
}

function webhooks(deployments) {
  const measured = deployments.map((d) => ({ d, m: metricOf(d, "webhook_end_p50") }));
  if (measured.length === 0 || measured.some(({ m }) => !m)) return verdict(null, "not measured on every deployment");
  return verdict(
    measured.every(({ m }) => m.value <= TARGETS.webhookP50Ms),
    measured.map(({ d, m }) => `×${d.processes} ${formatNumber(m.value)} ms`).join(", "),
  );
}

/** The PostgreSQL mode's figures and targets, or undefined when it did not run (no --postgres). */
export function scaleOut(results) {
  const deployments = deploymentsOf(results);
  const split = results[SPLIT];
  if (deployments.length === 0 && !split) return undefined;
  const embedded = results[EMBEDDED];
  return {
    ...tableOf(embedded, deployments),
    wakeup: split && { p50: metricOf(split, "wakeup_p50")?.value, p99: metricOf(split, "wakeup_p99")?.value },
    targets: [
      { target: `one process reaches ≥ ${TARGETS.throughputShare}× the embedded throughput at c=16`, ...throughputShare(embedded, deployments) },
      { target: "throughput grows with processes until the cores are busy, c=16", ...scaling(deployments, "throughput_c16") },
      { target: "throughput grows with processes until the cores are busy, c=64", ...scaling(deployments, "throughput_c64") },
      { target: `cross-process wake-up p50 ≤ ${TARGETS.wakeupP50Ms} ms (api → worker)`, ...wakeup(split) },
      { target: `webhook p50 after the run's end ≤ ${TARGETS.webhookP50Ms} ms, every deployment`, ...webhooks(deployments) },
    ],
  };
}

export function renderScaleOut(section) {
  if (!section) return [];
  // Each deployment's column, then its ratio column.
  const header = { label: "figure", unit: "unit", embedded: "embedded" };
  section.columns.forEach((column, i) => {
    header[column] = `PG ${column}`;
    header[ratioKey(section.columns, i)] = ratioKey(section.columns, i);
  });
  header.better = "better";
  const right = new Set(Object.keys(header).filter((key) => !["label", "unit", "better"].includes(key)));
  const mark = { true: "pass", false: "FAIL", null: "n/a " };
  const wake = section.wakeup ? `p50 ${ms(section.wakeup.p50)} ms, p99 ${ms(section.wakeup.p99)} ms` : "not run";
  return [
    "PostgreSQL mode: hookgraph on PostgreSQL + Redis, PG ×N = N `hookgraph serve` processes (requests spread round robin),",
    "beside embedded SQLite (`hookgraph dev`, the hookgraph column above); ×N/×M: ratios between the columns",
    "",
    renderTable(header, section.rows, right),
    "",
    `(8) cross-process wake-up, runs.create answered by \`hookgraph api\` → claim begun by \`hookgraph worker\`: ${wake}`,
    "",
    "targets:",
    ...section.targets.map((t) => `  ${mark[t.pass]}  ${t.target}: ${t.detail}`),
    "",
  ];
}
