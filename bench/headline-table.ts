// Prints the headline figures of a results file as a markdown table, for the README:
//   npm run build && node dist/bench/headline-table.js [bench/results/latest.json]
import { readFileSync } from 'node:fs';

interface Figure {
  name: string;
  suite?: string;
  target?: number;
  verdict?: string;
  ratio?: { median: number; min: number; max: number; spread: number; samples: number[] } | null;
  unit?: '×' | 'ops/s';
}
interface Results {
  startedAt: string;
  command: string;
  machine: { cpu: string; cores: number; ramGiB: number; node: string; loadAverage: number[] };
  figures: Figure[];
}

const file = process.argv[2] ?? 'bench/results/latest.json';
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
const { machine } = results;
const format = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

console.log(
  `Measured ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC with \`${results.command}\` on ${machine.cpu}, ` +
    `${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}; load average ${machine.loadAverage[0]} at the start. ` +
    `Each ratio is the median of per-round ratios (${results.figures[0]?.ratio?.samples.length ?? '?'} rounds), with the range.`,
);
console.log('');
console.log('| figure | ratio (median) | range | target | |');
console.log('|---|---|---|---|---|');
// The peers' figures have their own table (bench/figures-table.ts).
for (const figure of results.figures) {
  if (figure.target === undefined || !figure.ratio || figure.suite === 'peers') continue;
  const { median, min, max } = figure.ratio;
  const unit = figure.unit === 'ops/s' ? ' ops/s' : 'x';
  console.log(
    `| ${figure.name} | ${format(median)}${unit} | ${format(min)}-${format(max)} | >= ${figure.target} | ${figure.verdict} |`,
  );
}
