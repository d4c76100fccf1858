import { median } from "../stats.js";

/**
 * Warm-up once, then up to `rounds` rounds (fewer if `deadline` passes), each returning
 * `{ metricId: value }`. Each metric's figure is the median across rounds.
 */
export async function measureRounds({ rounds, deadline, warmup, round }) {
  if (warmup) await warmup();
  const perRound = [];
  for (let r = 0; r < rounds && (r === 0 || !deadline.passed()); r += 1) perRound.push(await round(r));
  const ids = Object.keys(perRound[0] ?? {});
  const values = Object.fromEntries(
    ids.map((id) => {
      const series = perRound.map((values) => values[id]);
      return [id, { value: median(series), rounds: series }];
    }),
  );
  return { values, roundsDone: perRound.length };
}

/** "50 runs × 3 rounds (+5 warm-up)", saying so when the time budget cut rounds short. */
export function describeSamples(unit, perRound, roundsDone, roundsPlanned, warmup) {
  const cut = roundsDone < roundsPlanned ? ` (time budget: ${roundsDone} of ${roundsPlanned} rounds)` : "";
  return `${perRound} ${unit} × ${roundsDone} rounds${warmup ? ` (+${warmup} warm-up)` : ""}${cut}`;
}
