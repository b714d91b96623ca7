/**
 * Import time of hashstash against keyv (issue 14): `node -e "import('<name>')"`, each run in a fresh process,
 * the two taking turns so that load on a shared machine falls on both alike. Prints the median wall time of each,
 * of a bare `node -e ""` for scale, and the ratio against the target; also the import alone, timed inside the process.
 *
 *   node dist/scripts/import-time.js [runs=20]
 *
 * Run it from the package folder: `hashstash` resolves to this package's own exports (dist/src/index.js).
 */
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 20);
const candidates = { bare: '', hashstash: 'hashstash', keyv: 'keyv' } as const;
type Name = keyof typeof candidates;

/** The child's code: the import, timed inside it too (0 for node alone). */
const inProcess = (specifier: string) =>
  specifier === ''
    ? 'process.stdout.write("0")'
    : `const t = performance.now(); import(${JSON.stringify(specifier)}).then(() => process.stdout.write(String(performance.now() - t)))`;

function once(specifier: string): { wall: number; import: number } {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['-e', inProcess(specifier)], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (child.status !== 0) throw new Error(`node -e "import('${specifier}')" failed: ${child.stderr}`);
  return { wall, import: Number(child.stdout) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const samples = Object.fromEntries(
  Object.keys(candidates).map((name) => [name, { wall: [] as number[], import: [] as number[] }]),
) as Record<Name, { wall: number[]; import: number[] }>;
for (let run = 0; run < runs; run++) {
  for (const name of Object.keys(candidates) as Name[]) {
    const { wall, import: imported } = once(candidates[name]);
    samples[name].wall.push(wall);
    samples[name].import.push(imported);
  }
}

const row = (name: Name) => ({ process: median(samples[name].wall), import: median(samples[name].import) });
const result = { runs, bare: row('bare'), hashstash: row('hashstash'), keyv: row('keyv') };
console.log(`median of ${runs} processes each (ms)       process   import alone`);
for (const name of Object.keys(candidates) as Name[]) {
  const command = name === 'bare' ? 'node -e "" (node alone)' : `node -e "import('${candidates[name]}')"`;
  console.log(
    `  ${command.padEnd(36)} ${result[name].process.toFixed(1).padStart(7)} ${result[name].import.toFixed(1).padStart(9)}`,
  );
}
/** Issue 14's figure: the whole process, hashstash at most 1.5 times keyv. */
const TARGET = 1.5;
const ratio = result.hashstash.process / result.keyv.process;
console.log(
  `hashstash / keyv: process ${ratio.toFixed(2)}x (target <= ${TARGET}x: ${ratio <= TARGET ? 'PASS' : 'FAIL'}), ` +
    `import alone ${(result.hashstash.import / result.keyv.import).toFixed(2)}x`,
);
