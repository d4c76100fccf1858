// Plain-text tables for the report: what a cell shows, numbers, alignment.

export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `rows` (objects) under `header` (column key → title), in the header's column order; `right`: keys aligned right. */
export function renderTable(header, rows, right) {
  const cols = Object.keys(header);
  const all = [header, ...rows];
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(...all.map((r) => String(r[c] ?? "").length))]));
  const line = (r) => cols.map((c) => (right.has(c) ? String(r[c] ?? "").padStart(width[c]) : String(r[c] ?? "").padEnd(width[c]))).join("  ");
  return [line(header), cols.map((c) => "-".repeat(width[c])).join("  "), ...rows.map(line)].join("\n");
}

/** What a server's column shows for one metric: a value, or why there is none. */
export function cellOf(serverResult, figureId, metricId) {
  if (!serverResult) return { text: "not run" };
  const figure = serverResult.figures[figureId];
  if (!figure) return { text: "—" };
  if (figure.error) return { text: "failed" };
  if (figure.unavailable) return { text: "not yet" };
  if (figure.notApplicable) return { text: "n/a" };
  const found = figure.metrics?.find((m) => m.id === metricId);
  return found ? { text: formatNumber(found.value), metric: found } : { text: "—" };
}

/** a ÷ b of two cells, when both hold a value (and, for counts like RSS after N runs, the same N). */
export function ratioOf(a, b) {
  if (!a?.metric || !b?.metric) return "";
  if (a.metric.n !== undefined && a.metric.n !== b.metric.n) return `(N ${a.metric.n} vs ${b.metric.n})`;
  if (!(b.metric.value > 0) || a.metric.id.startsWith("overhead")) return "";
  return `${formatNumber(a.metric.value / b.metric.value)}×`;
}
