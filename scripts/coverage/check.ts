/**
 * After `npm test` (which runs under c8, see .c8rc.json): prints the lines covered per folder of src/, mapped back
 * from the compiled tests through their source maps, and fails when a folder falls under its threshold in
 * scripts/coverage/thresholds.json (or src/ as a whole under `total`).
 *
 *   node dist/scripts/coverage/check.js [coverage/coverage-summary.json]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Counts { total: number; covered: number }
interface FileSummary { lines: Counts; branches: Counts; functions: Counts }

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const summaryPath = process.argv[2] ?? `${repo}coverage/coverage-summary.json`;
const thresholdsPath = `${repo}scripts/coverage/thresholds.json`;

const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, FileSummary>;
const thresholds = JSON.parse(readFileSync(thresholdsPath, 'utf8')) as Record<string, number | string>;

/** A module of types only compiles to `export {};` and never loads: c8's `all` would count its lines as untested. */
function typesOnly(source: string): boolean {
  const compiled = `${repo}dist/${relative(repo, source).replace(/\.ts$/, '.js')}`;
  if (!existsSync(compiled)) return false;
  const code = readFileSync(compiled, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/\s+/g, '');
  return code === '' || code === 'export{};';
}

const folders = new Map<string, FileSummary>();
const total: FileSummary = { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 }, functions: { total: 0, covered: 0 } };
let skipped = 0;
const add = (into: Counts, from: Counts): void => { into.total += from.total; into.covered += from.covered; };
for (const [file, counts] of Object.entries(summary)) {
  if (file === 'total') continue;
  const folder = relative(repo, dirname(file)).split(sep).join('/');
  if (!folder.startsWith('src')) continue;
  if (typesOnly(file)) {
    skipped++;
    continue;
  }
  const sum = folders.get(folder) ?? { lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 }, functions: { total: 0, covered: 0 } };
  add(sum.lines, counts.lines); add(sum.branches, counts.branches); add(sum.functions, counts.functions);
  folders.set(folder, sum);
  add(total.lines, counts.lines);
  add(total.branches, counts.branches);
  add(total.functions, counts.functions);
}

const percent = ({ total, covered }: Counts): number => (total === 0 ? 100 : (100 * covered) / total);
const rows = [...folders].sort(([a], [b]) => a.localeCompare(b)).map(([folder, sum]) => ({ folder, ...sum }));
rows.push({ folder: 'src (all)', lines: total.lines, branches: total.branches, functions: total.functions });

const failures: string[] = [];
const width = Math.max(...rows.map((row) => row.folder.length));
console.log(`\n${skipped} modules of types only left out (they compile to nothing)`);
console.log(`coverage of src/ by folder (lines / branches / functions), thresholds on lines from ${relative(repo, thresholdsPath)}`);
for (const row of rows) {
  const lines = percent(row.lines);
  const key = row.folder === 'src (all)' ? 'total' : row.folder;
  const threshold = typeof thresholds[key] === 'number' ? thresholds[key] : undefined;
  const verdict = threshold === undefined ? '' : lines + 1e-9 < threshold ? `  UNDER ${threshold}` : `  >= ${threshold}`;
  if (threshold !== undefined && lines + 1e-9 < threshold) failures.push(`${row.folder}: ${lines.toFixed(2)}% of lines, threshold ${threshold}%`);
  console.log(`${row.folder.padEnd(width)}  ${lines.toFixed(1).padStart(5)}%  ${percent(row.branches).toFixed(1).padStart(5)}%  ${percent(row.functions).toFixed(1).padStart(5)}%  (${row.lines.covered}/${row.lines.total} lines)${verdict}`);
}
for (const folder of Object.keys(thresholds)) {
  if (folder !== 'total' && !folder.startsWith('$') && !folders.has(folder)) failures.push(`${folder}: has a threshold but no coverage data`);
}
if (failures.length > 0) {
  console.log(`\ncoverage under its threshold:\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
