import t from 'tap';
import { Buffer } from 'node:buffer';
import { join } from 'node:path';
import { ConfigError, HashStash, type EngineName } from '../src/index.js';
import { MAX_STASH_PATH_BYTES, resolveRoot, settingsFolder, SQLITE_MAX_STASH_PATH_BYTES } from '../src/options.js';

/** What `root` and `name` may be: every way they can fail is a ConfigError from the constructor, before any use. */

/** A name of folders of about 200 bytes each that makes `root`'s stash path exactly `bytes` long. */
function nameForPathOf(bytes: number, root: string, settings: string): string {
  const length = bytes - Buffer.byteLength(root) - Buffer.byteLength(settings) - 2;
  const name = Array.from({ length }, (_, i) => (i % 201 === 200 && i !== length - 1 ? '/' : 'n')).join('');
  if (Buffer.byteLength(join(root, name, settings)) !== bytes)
    throw new Error(`made a path of the wrong length for ${bytes}`);
  return name;
}

t.test('a NUL byte in root or name is a ConfigError naming the option, the NUL shown escaped', async (t) => {
  const dir = t.testdir();
  t.throws(() => new HashStash({ root: '/tmp/a\0b', engine: 'pairtree' }), {
    name: 'ConfigError',
    message: /^option 'root' must not hold a NUL byte \(at character 6\), got '\/tmp\/a\\x00b'$/,
  });
  t.throws(() => new HashStash({ root: 'relative\0root', engine: 'pairtree' }), {
    name: 'ConfigError',
    message: /option 'root'/,
  });
  t.throws(() => new HashStash({ root: dir, name: 'a\0b', engine: 'pairtree' }), {
    name: 'ConfigError',
    message: /option 'name' must not hold a NUL byte \(at character 1\), got 'a\\x00b'/,
  });
});

t.test(
  'a relative root stays inside the cache home after normalization; an absolute root is used as it is',
  async (t) => {
    const env = { HASHSTASH_HOME: '/srv/cache' };
    t.equal(resolveRoot('a/../b', env), '/srv/cache/b');
    t.equal(resolveRoot('./project/./x', env), '/srv/cache/project/x');
    t.equal(resolveRoot('..stash', env), '/srv/cache/..stash', 'a name that only starts with two dots is inside');
    t.equal(resolveRoot('/srv/other/../root', env), '/srv/root');
    for (const root of ['..', '../x', '../../../x', 'a/../../x', '.', 'a/..', './']) {
      t.throws(
        () => resolveRoot(root, env),
        {
          name: 'ConfigError',
          message: new RegExp(
            `^option 'root' '${root.replace(/\./g, '\\.')}' is relative, so it names a folder inside the cache home /srv/cache, but it resolves to /`,
          ),
        },
        `root ${JSON.stringify(root)}`,
      );
    }
    // The constructor, with the process's own cache home.
    t.throws(() => new HashStash({ root: '../../../x' }), ConfigError);
    t.throws(
      () => new HashStash({ root: '../../../x', engine: 'redis', url: 'redis://127.0.0.1:1' }),
      ConfigError,
      'server engines too',
    );
  },
);

t.test(
  'a folder name over 255 bytes of UTF-8, in root or name, is a ConfigError that shows the start of it',
  async (t) => {
    const dir = t.testdir();
    t.doesNotThrow(() => new HashStash({ root: dir, name: 'x'.repeat(255), engine: 'pairtree' }));
    t.doesNotThrow(
      () => new HashStash({ root: dir, name: `a/${'é'.repeat(127)}x`, engine: 'pairtree' }),
      '255 bytes in 128 characters',
    );
    t.throws(() => new HashStash({ root: dir, name: `a/${'é'.repeat(128)}`, engine: 'pairtree' }), {
      name: 'ConfigError',
      message: /^option 'name' holds a folder name of 256 bytes, over the file system's limit of 255: 'é{128}'$/,
    });
    t.throws(() => new HashStash({ root: join(dir, 'r'.repeat(256)), engine: 'pairtree' }), {
      name: 'ConfigError',
      message: /^option 'root' holds a folder name of 256 bytes/,
    });
    for (const engine of ['memory', 'redis', 'mongo'] as const) {
      t.throws(
        () =>
          new HashStash({
            root: dir,
            name: 'x'.repeat(256),
            engine,
            url: engine === 'memory' ? undefined : `${engine}://127.0.0.1:1`,
          }),
        ConfigError,
        `${engine}: the same names on every engine`,
      );
    }
  },
);

t.test('a stash path at the limit holds every file the engine makes; one byte more is a ConfigError', async (t) => {
  const cases: [EngineName, number][] = [
    ['pairtree', MAX_STASH_PATH_BYTES],
    ['lmdb', MAX_STASH_PATH_BYTES],
    ['sqlite', SQLITE_MAX_STASH_PATH_BYTES],
  ];
  for (const [engine, limit] of cases) {
    const root = join(t.testdir(), engine);
    const settings = settingsFolder({ engine, serializer: 'hashstash', compress: 'lz4', b64: false });
    for (const appendMode of [false, true]) {
      const stash = new HashStash({ root, name: nameForPathOf(limit, root, settings), engine, appendMode });
      t.teardown(() => stash.close());
      // Two versions of a key, a delete and a clear: pairtree's deepest files (versions, temp files, the folder
      // moved aside while clearing) and sqlite's journal all have to fit.
      await stash.set({ k: 1 }, 1);
      await stash.set({ k: 1 }, 2);
      t.equal(await stash.get({ k: 1 }), 2);
      t.equal(await stash.delete({ k: 1 }), true);
      await stash.set({ k: 2 }, 3);
      await stash.clear();
      t.equal(await stash.size(), 0, `${engine}${appendMode ? ' in append mode' : ''} works at ${limit} bytes`);
    }
    const tooLong = nameForPathOf(limit + 1, root, settings);
    t.throws(
      () => new HashStash({ root, name: tooLong, engine }),
      {
        name: 'ConfigError',
        message: new RegExp(
          `^options 'root' and 'name' make a stash path of ${limit + 1} bytes, over the limit of ${limit} \\(`,
        ),
      },
      `${engine}: one byte more`,
    );
  }
});

t.test('a message shows a huge value cut to its start, with its length', async (t) => {
  const name = `${'q'.repeat(100_000)}/\0`;
  const error = t.throws(() => new HashStash({ root: t.testdir(), name })) as Error;
  t.ok(error instanceof ConfigError);
  t.ok(error.message.length < 320, `the message is short: ${error.message}`);
  t.match(error.message, /'q{200}…' \(100002 bytes\)/);
});
