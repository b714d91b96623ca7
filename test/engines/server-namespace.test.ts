import t from 'tap';
import { randomBytes } from 'node:crypto';
import { HashStash, type EngineName } from '../../src/index.js';
import { requireServer } from '../helpers/servers.js';

/**
 * Two machines with different cache folders open `{ root: 'project' }` on one server: they must share the stash, its
 * sub-stashes and so its memoized results. Simulated by changing HASHSTASH_HOME between the two openings.
 * Regression: sub() passed the resolved local root on, so a memo's results on a server were named by one machine's
 * home folder and no other machine found them.
 */
for (const [engine, kind] of [
  ['redis', 'redis'],
  ['mongo', 'mongo'],
] as const) {
  t.test(`${engine}: two machines with different cache folders share a stash's sub-stashes and memos`, async (t) => {
    const url = requireServer(t, kind);
    if (!url) return;
    const root = `shared-${randomBytes(4).toString('hex')}`;
    const home = process.env.HASHSTASH_HOME;
    t.teardown(() => {
      if (home === undefined) delete process.env.HASHSTASH_HOME;
      else process.env.HASHSTASH_HOME = home;
    });

    const open = (machineHome: string) => {
      process.env.HASHSTASH_HOME = machineHome;
      return new HashStash({ root, engine: engine as EngineName, url });
    };
    const first = open(t.testdir({}) + '/machine-a');
    const second = open(t.testdir({}) + '/machine-b');
    t.teardown(async () => {
      await first.close();
      await second.close();
    });
    t.not(first.path, second.path, 'the local paths differ, as on two machines');

    let calls = 0;
    const square = (n: number) => {
      calls++;
      return n * n;
    };
    t.equal(await first.run(square, 7), 49);
    t.equal(await second.run(square, 7), 49, 'the second machine reads the first one’s result');
    t.equal(calls, 1, 'computed once for both machines');

    const partsA = first.sub('parts');
    const partsB = second.sub('parts');
    t.teardown(async () => {
      await partsA.close();
      await partsB.close();
    });
    await partsA.set('k', 'v');
    t.equal(await partsB.get('k'), 'v');

    await partsA.clear();
    await first.stashed(square).stash.clear();
  });
}
