// Prints the README's peer table from a results file: hashstash against its peers (the peers suite's headline ratios,
// and the ones comparing across suites), with the date, the machine and the command that measured them.
//   npm run build && node dist/bench/figures-table.js [bench/results/latest.json]
import { readFileSync } from 'node:fs';
import type { BenchResults } from './results.js';

const file = process.argv[2] ?? 'bench/results/latest.json';
const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
const { machine, settings } = results;
const format = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

const peers = results.figures.filter((figure) => figure.suite === 'peers' && figure.unit !== 'ops/s');
const python = results.missing.filter((missing) => missing.suite === 'peers');

console.log(
  `Measured ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC with \`${results.command}\` ` +
    `(${settings.rounds} rounds${settings.quick ? ', quick' : ''}; ${settings.smallCount.toLocaleString('en-US')} small records, ` +
    `${settings.largeCount} × 100 KB) on ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, ${machine.platform}, ` +
    `Node ${machine.node}; load average ${machine.loadAverage[0]} at the start. A ratio is hashstash's operations per second ` +
    "over the peer's, the median of per-round ratios, with their range.",
);
console.log('');
console.log('| hashstash / peer | ratio (median) | range | target | |');
console.log('|---|---|---|---|---|');
for (const figure of peers) {
  const ratio = figure.ratio;
  const cells = ratio
    ? [`${format(ratio.median)}x`, `${format(ratio.min)}-${format(ratio.max)}`]
    : ['not measured', ''];
  console.log(
    `| ${figure.name} | ${cells.join(' | ')} | ${figure.target !== undefined ? `>= ${figure.target}` : ''} | ${figure.verdict} |`,
  );
}
if (python.length) {
  console.log('');
  console.log('Not measured:');
  for (const { subject, reason } of python) console.log(`- ${subject}: ${reason}`);
}
