/** Append mode on an engine that keeps no versions fails at once with a typed error naming the engine. */
import t from 'tap';
import { HashStash, UnsupportedError, type Engine } from '../../src/index.js';

/** A memory engine with its version store hidden, standing for a user's engine that has none. */
function engineWithoutVersions(root: string): Engine {
  const engine = new HashStash({ root, engine: 'memory' }).engine;
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'append') return undefined;
      if (property === 'capabilities') return { ...target.capabilities, nativeAppend: false };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: never[]) => unknown).bind(target) : value;
    },
  });
}

t.test('opening a stash in append mode on such an engine throws UnsupportedError naming it', async (t) => {
  const engine = engineWithoutVersions(t.testdir());
  const error = (() => {
    try {
      new HashStash({ engine, appendMode: true });
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  t.ok(error instanceof UnsupportedError, 'UnsupportedError');
  t.match((error as Error).message, /'memory' engine/);
});

t.test('getAll on such an engine throws UnsupportedError, from both views', async (t) => {
  const stash = new HashStash({ engine: engineWithoutVersions(t.testdir()) });
  t.teardown(() => stash.close());
  await stash.set('k', 1);
  await t.rejects(stash.getAll('k'), UnsupportedError);
  t.throws(() => {
    stash.sync.getAll('k');
  }, UnsupportedError);
});
