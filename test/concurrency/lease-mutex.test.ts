/**
 * Leases exclude each other across processes (worker threads on the memory engine): four participants each take the
 * lease `counter` 20 times and, holding it, read a count, renew the lease (a compare-and-set replacing the record)
 * and write the count plus one, then release it (a compare-and-set deleting it). Two holders at once would lose an
 * increment, and a renewal or release that found the lease taken would say so.
 */
import t from 'tap';
import type { EngineName } from '../../src/index.js';
import { serverSkip } from '../helpers/servers.js';
import type { MutexJob } from './coordination-child.js';
import { runTogether } from './coordination-parent.js';

const PARTICIPANTS = 4;
const ROUNDS = 20;
const ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const how = engine === 'memory' ? 'worker threads' : 'processes';
  t.test(`${engine}: ${PARTICIPANTS} ${how} increment a count under one lease: none lost`, { skip }, async (t) => {
    t.setTimeout(240_000);
    const { stash, results, seconds } = await runTogether(t, engine, ({ root, url }) =>
      Array.from({ length: PARTICIPANTS }, (_, racer): MutexJob => ({
        kind: 'mutex',
        root,
        engine,
        url,
        racer,
        rounds: ROUNDS,
      })),
    );
    t.strictSame(
      results.filter((m) => !('finished' in m)),
      [],
      'every participant finished',
    );
    t.strictSame(
      results.flatMap((m) => ('finished' in m ? m.problems : [])),
      [],
      'no renewal or release found the lease lost',
    );
    t.equal(await stash.get('count'), PARTICIPANTS * ROUNDS, 'no increment was lost');
    t.pass(`${PARTICIPANTS * ROUNDS} critical sections in ${seconds.toFixed(2)} s`);
  });
}
