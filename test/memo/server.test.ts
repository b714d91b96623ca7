import t from 'tap';
import { randomBytes } from 'node:crypto';
import { HashStash } from '../../src/index.js';
import { requireServer } from '../helpers/servers.js';

// On an engine that is only asynchronous a hit is read with an awaited get, and de-duplication must still hold.
t.setTimeout(60_000);

const url = requireServer(t, 'redis');
if (url) {
  t.test('redis: run, null/undefined results, concurrent calls and getFunc', async (t) => {
    const stash = new HashStash({ root: `memo-test-${randomBytes(6).toString('hex')}`, engine: 'redis', url });
    let calls = 0;
    const slow = async (x: { a: number }) => {
      calls++;
      await new Promise((r) => setTimeout(r, 30));
      return x.a > 0 ? x.a * 2 : undefined;
    };
    const wrapped = stash.stashed(slow);
    t.teardown(async () => {
      await wrapped.stash.clear();
      await wrapped.stash.close();
      await stash.close();
    });
    t.same(await Promise.all([wrapped({ a: 1 }), wrapped({ a: 1 }), wrapped({ a: 1 })]), [2, 2, 2]);
    t.equal(calls, 1, 'three concurrent calls computed once');
    t.equal(await stash.run(slow, { a: 1 }), 2, 'stash.run reads what the wrapper stored');
    t.equal(await wrapped({ a: 0 }), undefined);
    t.equal(await wrapped({ a: 0 }), undefined);
    t.equal(calls, 2, 'an undefined result is cached');
    t.equal(await wrapped.stash.getFunc({ a: 1 }), 2);
    t.equal(await wrapped.stash.size(), 2);
  });
}
