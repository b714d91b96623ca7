/**
 * `npm run stress [-- options]`: many writer processes at once on a brand-new store, round after round, counting
 * acknowledged writes that went missing and writers that crashed. It is not part of `npm test` (a short version is:
 * test/concurrency/fresh-store.test.ts).
 *
 *   --rounds N        rounds per engine (100)
 *   --engines a,b     engines to stress (lmdb,sqlite,pairtree)
 *   --writers N       processes per round (8)
 *   --writes N        awaited sets per process (300)
 *   --max-pad BYTES   values are { pad: 'x'.repeat(0 to BYTES) } (40960)
 *   --busy N          processes spinning on the CPU meanwhile, as on a loaded machine (0)
 *   --seed N          pad lengths; round r of an engine uses seed + 1000 r (random unless given)
 *   --dir PATH        where the rounds' roots are made (the temp folder)
 *
 * Exits 1 when any acknowledged write was lost, any set failed with an untyped error, or any writer crashed; the roots
 * of such rounds are kept and printed.
 */
import { parseArgs } from 'node:util';
import { ENGINE_NAMES, type EngineName } from '../../src/index.js';
import { keepCoresBusy } from './busy.js';
import { removeRoot, runRound, type RoundResult } from './fresh-store.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '100' },
    engines: { type: 'string', default: 'lmdb,sqlite,pairtree' },
    writers: { type: 'string', default: '8' },
    writes: { type: 'string', default: '300' },
    'max-pad': { type: 'string', default: '40960' },
    busy: { type: 'string', default: '0' },
    seed: { type: 'string' },
    dir: { type: 'string' },
  },
});

function count(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new TypeError(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
  return n;
}

const engines = values.engines.split(',').map((name) => name.trim()) as EngineName[];
for (const engine of engines) {
  if (!ENGINE_NAMES.includes(engine))
    throw new TypeError(`--engines: unknown engine ${JSON.stringify(engine)} (one of ${ENGINE_NAMES.join(', ')})`);
}
const rounds = count('rounds', values.rounds);
const writers = count('writers', values.writers);
const writes = count('writes', values.writes);
const maxPad = count('max-pad', values['max-pad']);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : count('seed', values.seed);

console.log(
  `stress: ${rounds} rounds x ${writers} processes x ${writes} awaited sets (values up to ${maxPad} bytes) on a fresh store; ` +
    `engines ${engines.join(', ')}; ${values.busy} busy processes; seed ${seed}`,
);

const busy = keepCoresBusy(count('busy', values.busy));
const totals: {
  engine: EngineName;
  rounds: number;
  acknowledged: number;
  lost: number;
  rejected: number;
  untyped: number;
  crashed: number;
  ms: number;
}[] = [];
let failed = false;
try {
  for (const engine of engines) {
    const total = { engine, rounds: 0, acknowledged: 0, lost: 0, rejected: 0, untyped: 0, crashed: 0, ms: 0 };
    totals.push(total);
    for (let round = 0; round < rounds; round++) {
      const result: RoundResult = await runRound({
        engine,
        writers,
        writes,
        maxPad,
        seed: seed + 1000 * round,
        ...(values.dir ? { parent: values.dir } : {}),
      });
      total.rounds++;
      total.acknowledged += result.acknowledged;
      total.lost += result.lost.length;
      total.rejected += result.rejected.length;
      total.untyped += result.untyped.length;
      total.crashed += result.crashed.length;
      total.ms += result.ms;
      const bad = result.lost.length > 0 || result.untyped.length > 0 || result.crashed.length > 0;
      console.log(
        `${engine} round ${round + 1}/${rounds}: ${result.acknowledged} acknowledged, ${result.lost.length} lost, ` +
          `${result.rejected.length} rejected (typed), ${result.untyped.length} untyped, ${result.crashed.length} writers crashed, ` +
          `${(result.ms / 1000).toFixed(1)} s${bad ? `; kept ${result.root}` : ''}`,
      );
      for (const key of result.lost.slice(0, 10)) console.log(`  lost ${key}`);
      for (const line of [...result.rejected, ...result.untyped, ...result.crashed].slice(0, 10))
        console.log(`  ${line}`);
      if (bad) failed = true;
      else removeRoot(result);
    }
  }
} finally {
  await busy.stop();
}

console.log('\nengine    rounds  acknowledged  lost  rejected  untyped  crashed  seconds');
for (const t of totals) {
  console.log(
    `${t.engine.padEnd(9)} ${String(t.rounds).padStart(6)}  ${String(t.acknowledged).padStart(12)}  ${String(t.lost).padStart(4)}  ` +
      `${String(t.rejected).padStart(8)}  ${String(t.untyped).padStart(7)}  ${String(t.crashed).padStart(7)}  ${(t.ms / 1000).toFixed(0).padStart(7)}`,
  );
}
process.exitCode = failed ? 1 : 0;
