/**
 * The published conformance suite, `hashstash/test-suite`, on every local built-in engine, imported through the
 * package's own `exports` entry as a user's engine imports it (redis.test.ts and mongo.test.ts run it on the servers).
 */
import t from 'tap';
import { engineConformance } from 'hashstash/test-suite';
import { engineFactory } from '../../src/engines/index.js';

for (const engine of ['lmdb', 'sqlite', 'pairtree', 'memory'] as const) {
  t.test(`${engine} passes the conformance suite`, async (t) => {
    engineConformance({ test: t.test.bind(t), name: engine, factory: engineFactory(engine) });
  });
}

t.test('the engine registry and ENGINE_NAMES list the same built-in engines', async (t) => {
  const { BUILT_IN_ENGINES } = await import('../../src/engines/index.js');
  const { ENGINE_NAMES } = await import('../../src/index.js');
  t.strictSame([...BUILT_IN_ENGINES].sort(), [...ENGINE_NAMES].sort());
});
