// Summary statistics for benchmark samples. Percentiles use the nearest-rank method, so a p99
// of fewer than 100 samples is the largest sample: the README says so next to each count.

function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  const rank = Math.ceil((p / 100) * ordered.length);
  return ordered[Math.min(ordered.length, Math.max(1, rank)) - 1];
}

/** Median; the mean of the two middle values for an even count. */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  const mid = Math.floor(ordered.length / 2);
  return ordered.length % 2 === 1 ? ordered[mid] : (ordered[mid - 1] + ordered[mid]) / 2;
}
