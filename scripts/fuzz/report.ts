import { TARGETS } from './cases.js';
import { FAILURES, OUTCOMES, type Counts, type FailureReport, type Tally } from './runner.js';

const number = (n: number): string => n.toLocaleString('en-US');

/** The counts as a table, one row per entry point, then the failure counts and the slowest input. */
export function formatTally(tally: Tally): string {
  const widths = OUTCOMES.map((outcome) => Math.max(outcome.length, number(tally.outcomes[outcome]).length));
  const row = (label: string, counts: Counts) =>
    label.padEnd(12) + OUTCOMES.map((outcome, i) => number(counts[outcome]).padStart(widths[i] + 2)).join('');
  const lines = [
    `seed ${tally.seed}, ${number(tally.inputs)} inputs`,
    ''.padEnd(12) + OUTCOMES.map((outcome, i) => outcome.padStart(widths[i] + 2)).join(''),
    ...TARGETS.map((target) => row(target, tally.byTarget[target])),
    row('total', tally.outcomes),
    `failures: ${FAILURES.map((outcome) => `${tally.outcomes[outcome]} ${outcome}`).join(', ')}`,
  ];
  if (tally.slowest.index >= 0) {
    lines.push(`slowest input: #${tally.slowest.index}, ${tally.slowest.cpuMs.toFixed(1)} ms of CPU`);
  }
  return lines.join('\n');
}

/** Each failing input: what it was, what happened, its first bytes, and how to run it again alone. */
export function formatFailures(failures: readonly FailureReport[]): string {
  return failures
    .map((failure) =>
      [
        `#${failure.index} ${failure.outcome}: ${failure.target} ${failure.settings}, ${failure.mutation} of "${failure.source}"`,
        `  ${failure.detail}`,
        `  ${failure.length} bytes: ${failure.hex}${failure.length * 2 > failure.hex.length ? '…' : ''}`,
        `  replay: npm run fuzz -- --seed ${failure.seed} --replay ${failure.index}`,
      ].join('\n'),
    )
    .join('\n');
}
