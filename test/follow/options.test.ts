/** The `follow` option: where it is accepted, the ConfigErrors that name why not elsewhere, and what it resolves to. */
import t from 'tap';
import { ConfigError, HashStash } from '../../src/index.js';
import type { Engine } from '../../src/index.js';

t.test('follow needs readonly', async (t) => {
  const root = t.testdir();
  for (const readonly of [undefined, false]) {
    t.throws(() => new HashStash({ root, follow: true, readonly }), {
      name: 'ConfigError',
      message: /option 'follow' needs 'readonly: true'/,
    });
  }
  t.throws(() => new HashStash({ root, follow: 'yes' as never, readonly: true }), {
    name: 'ConfigError',
    message: /option 'follow' must be a boolean/,
  });
});

t.test('follow works on lmdb and sqlite, and is a ConfigError naming the engine elsewhere', async (t) => {
  const root = t.testdir();
  for (const engine of ['lmdb', 'sqlite'] as const) {
    const stash = new HashStash({ root, engine, readonly: true, follow: true });
    t.equal(stash.options.follow, true, engine);
    t.equal(stash.toJSON().follow, true, `${engine}: toJSON shows it`);
    t.equal(stash.sub('part').options.follow, true, `${engine}: a sub-stash follows too`);
    await stash.close();
  }
  for (const engine of ['pairtree', 'memory', 'redis', 'mongo'] as const) {
    t.throws(() => new HashStash({ root, engine, readonly: true, follow: true }), {
      name: 'ConfigError',
      message: new RegExp(`option 'follow' works on the 'lmdb' and 'sqlite' engines only, not on '${engine}'`),
    });
  }
  const own = { name: 'mine', capabilities: {}, get: async () => undefined } as unknown as Engine;
  t.throws(() => new HashStash({ root, engine: own, readonly: true, follow: true }), {
    name: 'ConfigError',
    message: /not on the engine object 'mine'/,
  });
});

t.test('follow with tiers is a ConfigError: an upper tier would serve what it copied earlier', async (t) => {
  const root = t.testdir();
  t.throws(
    () => new HashStash({ root, readonly: true, follow: true, coherence: 'none', memory: { maxBytes: '1mb' } }),
    { name: 'ConfigError', message: /option 'follow' cannot be used with tiers/ },
  );
  t.throws(
    () =>
      new HashStash({
        root,
        readonly: true,
        follow: true,
        coherence: 'none',
        tiers: [{ engine: 'memory', maxBytes: '1mb' }, { engine: 'sqlite' }],
      }),
    ConfigError,
  );
});

t.test('the default is false, and false is allowed without readonly', async (t) => {
  const root = t.testdir();
  t.equal(new HashStash({ root }).options.follow, false);
  t.equal(new HashStash({ root, follow: false, engine: 'pairtree' }).options.follow, false);
});
