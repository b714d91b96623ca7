import t from 'tap';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheHome, resolveOptions, resolveRoot, settingsFolder } from '../src/options.js';
import { ConfigError, HashStash } from '../src/index.js';

t.test('an unknown option, engine, serializer or codec throws ConfigError naming it', async (t) => {
  t.throws(() => new HashStash({ colour: 'red' } as never), {
    name: 'ConfigError',
    message: /unknown option 'colour'/,
  });
  t.throws(() => new HashStash({ engine: 'leveldb' as never }), {
    name: 'ConfigError',
    message: /unknown engine 'leveldb'/,
  });
  t.throws(() => new HashStash({ serializer: 'pickle' as never }), {
    name: 'ConfigError',
    message: /unknown serializer 'pickle'/,
  });
  t.throws(() => new HashStash({ compress: 'bz2' as never }), {
    name: 'ConfigError',
    message: /unknown compress 'bz2'/,
  });
  t.throws(() => new HashStash({ b64: 'yes' as never }), {
    name: 'ConfigError',
    message: /option 'b64' must be a boolean/,
  });
  t.throws(() => new HashStash({ root: 3 as never }), ConfigError);
  t.throws(() => new HashStash(null as never), ConfigError);
});

t.test('a stash name may not climb out of its root', async (t) => {
  for (const name of ['..', '../x', 'a/../../b', '', 'a//b', 'a\\b']) {
    t.throws(() => new HashStash({ name }), ConfigError, `name ${JSON.stringify(name)}`);
  }
  t.doesNotThrow(() => new HashStash({ name: 'a/b', root: t.testdir() }));
});

t.test('defaults and the on-disk naming', async (t) => {
  const resolved = resolveOptions({});
  t.equal(resolved.name, 'main');
  t.equal(resolved.serializer, 'hashstash');
  t.equal(resolved.compress, 'lz4');
  t.equal(resolved.b64, false);
  t.equal(
    settingsFolder({ engine: 'pairtree', serializer: 'v8', compress: 'zlib', b64: true }),
    'pairtree.v8.zlib+b64',
  );
  t.equal(resolveOptions({ compress: false }).compress, 'raw');
  const root = t.testdir();
  const stash = new HashStash({
    root,
    name: 'sub_stash',
    engine: 'memory',
    serializer: 'devalue',
    compress: 'gzip',
    b64: true,
  });
  t.equal(stash.path, join(root, 'sub_stash', 'memory.devalue.gzip+b64'));
});

t.test('the cache home rules', async (t) => {
  t.equal(cacheHome({ HASHSTASH_HOME: '/srv/cache' }), '/srv/cache');
  t.equal(cacheHome({ XDG_CACHE_HOME: '/xdg' }), '/xdg/hashstash');
  t.equal(cacheHome({}), join(homedir(), '.cache', 'hashstash'));
  t.equal(resolveRoot('project_stash', { HASHSTASH_HOME: '/srv/cache' }), '/srv/cache/project_stash');
  t.equal(resolveRoot('/abs/root', { HASHSTASH_HOME: '/srv/cache' }), '/abs/root');
  t.equal(resolveRoot('~/mine', {}), join(homedir(), 'mine'));
});

t.test('the constructor touches nothing', async (t) => {
  const root = join(t.testdir(), 'not-yet');
  const stash = new HashStash({ root, engine: 'pairtree' });
  const { existsSync } = await import('node:fs');
  t.notOk(existsSync(root), 'no folder before first use');
  await stash.set('k', 1);
  t.ok(existsSync(stash.path), 'folder after the first write');
});

t.test('String(stash), toJSON and the engine name', async (t) => {
  const stash = new HashStash({
    root: join(homedir(), '.cache', 'hashstash', 'project_stash'),
    name: 'sub_stash',
    engine: 'pairtree',
  });
  t.equal(String(stash), 'PairtreeHashStash(~/.cache/hashstash/project_stash/sub_stash/pairtree.hashstash.lz4)');
  const json = stash.toJSON();
  t.equal(json.engine, 'pairtree');
  t.equal(json.path, stash.path);
  t.equal((JSON.parse(JSON.stringify(stash)) as { serializer: string }).serializer, 'hashstash');
});

t.test('the root as given is kept beside the resolved one (server engines namespace by it)', async (t) => {
  const resolved = resolveOptions({ root: 'project_stash' });
  t.equal(resolved.rootAsGiven, 'project_stash');
  t.equal(resolved.root, resolveRoot('project_stash'));
});

t.test(
  "a mongo URL's database must be a name MongoDB takes: a ConfigError from the constructor, not at first write",
  async (t) => {
    const open = (database: string) =>
      new HashStash({ root: 'r', engine: 'mongo', url: `mongodb://127.0.0.1:1/${database}` });
    t.doesNotThrow(() => open('d'.repeat(63)));
    t.doesNotThrow(() => open(''), 'none named: the default database');
    t.doesNotThrow(() => open('?authSource=admin'), 'only options');
    t.throws(() => open('d'.repeat(64)), {
      name: 'ConfigError',
      message: /^option 'url' names the MongoDB database 'd{64}', which MongoDB refuses/,
    });
    for (const database of ['a.b', 'a$b', 'a%20b', 'a%22b', 'a/b', 'a%5Cb']) {
      t.throws(
        () => open(database),
        { name: 'ConfigError', message: /option 'url' names the MongoDB database/ },
        database,
      );
    }
    t.doesNotThrow(
      () => new HashStash({ root: 'r', engine: 'redis', url: `redis://127.0.0.1:1/${'d'.repeat(64)}` }),
      'only for mongo',
    );
  },
);

t.test('readonly with clear is a ConfigError from the constructor, not a ReadOnlyError at first use', async (t) => {
  t.throws(() => new HashStash({ root: t.testdir(), engine: 'pairtree', readonly: true, clear: true }), {
    name: 'ConfigError',
    message: /options 'readonly' and 'clear' cannot both be true/,
  });
  t.doesNotThrow(() => new HashStash({ root: t.testdir(), engine: 'pairtree', readonly: true, clear: false }));
});
