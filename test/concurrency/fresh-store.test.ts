/**
 * The short version of `npm run stress` (scripts/stress): eight processes started together on a brand-new store, each
 * awaiting its own sets. Every acknowledged write must be there afterwards, no set may fail, and no writer may crash.
 * On lmdb with lmdb-js's default overlappingSync, about one round in ten lost a write (issue 13); the stress script
 * runs a hundred rounds.
 */
import t from 'tap';
import { removeRoot, runRound } from '../../scripts/stress/fresh-store.js';
import { PERSISTENT_ENGINES } from './load.js';

const ROUNDS = 2;

for (const engine of PERSISTENT_ENGINES) {
  t.test(`${engine}: 8 processes on a fresh store lose no acknowledged write`, async (t) => {
    t.setTimeout(240_000);
    const parent = t.testdir();
    for (let round = 0; round < ROUNDS; round++) {
      const result = await runRound({ engine, writers: 8, writes: 150, maxPad: 40_960, seed: 1000 * round, parent });
      t.equal(result.acknowledged, 8 * 150, `round ${round + 1}: every set resolved`);
      t.strictSame(result.lost, [], `round ${round + 1}: no acknowledged write lost`);
      t.strictSame([...result.rejected, ...result.untyped], [], `round ${round + 1}: no set failed`);
      t.strictSame(result.crashed, [], `round ${round + 1}: no writer crashed`);
      removeRoot(result);
    }
  });
}
