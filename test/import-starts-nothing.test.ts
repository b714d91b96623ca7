/**
 * Importing hashstash and constructing stashes start nothing (issue 14): no shared memory, timer, sweep, worker,
 * channel, socket or open file, and no storage library, codec or optional library loaded. Storage opens, and
 * libraries load, on first use. Each check runs in a fresh child process, against the built package.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const indexUrl = new URL('../src/index.js', import.meta.url).href;

/**
 * Node in a child process without NODE_OPTIONS: the test runner puts its own preloads there, also into a child's
 * options (it wraps spawn), and they would count as the import's. `env -u` drops it after that wrapper.
 */
async function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

/** Async resources Node's module loader makes while it reads the module files of an `import()`. */
const MODULE_LOADER = new Set(['PROMISE', 'FSREQPROMISE', 'FILEHANDLE', 'FILEHANDLECLOSEREQ']);
const ENGINES = ['lmdb', 'sqlite', 'pairtree', 'memory', 'redis', 'mongo'] as const;

interface Snapshot {
  fds: string[];
  resources: string[];
  arena: number | null;
  packages: string[];
  types?: string[];
  roots?: string[];
}

const resourcesScript = (dir: string) => `
  import { createHook } from 'node:async_hooks';
  import { existsSync, readdirSync } from 'node:fs';
  import { createRequire } from 'node:module';
  import { getEnvironmentData } from 'node:worker_threads';
  const cache = createRequire(import.meta.url).cache;
  const packages = () => [...new Set(Object.keys(cache).filter((path) => path.includes('/node_modules/'))
    .map((path) => path.split('/node_modules/').pop().split('/')[0]))].sort();
  const types = new Set();
  const hook = createHook({ init(id, type) { types.add(type); } });
  const snapshot = () => ({
    fds: readdirSync('/proc/self/fd').sort(),
    resources: process.getActiveResourcesInfo().sort(),
    arena: getEnvironmentData('hashstash:memory-arena:v4')?.byteLength ?? null,
    packages: packages(),
  });
  const taken = (extra = {}) => { const shot = { ...snapshot(), types: [...types].sort(), ...extra }; types.clear(); return shot; };
  const root = (engine) => ${JSON.stringify(dir)} + '/root-' + engine;
  const urls = { redis: 'redis://127.0.0.1:1', mongo: 'mongodb://127.0.0.1:1/hashstash' };

  // The module loader closes each module file it read in the background: those closes are let finish first.
  const loaderSettled = async () => { while (process.getActiveResourcesInfo().includes('CloseReq')) await new Promise((resolve) => setImmediate(resolve)); };
  await loaderSettled();
  const before = snapshot();
  hook.enable();
  const { HashStash } = await import(${JSON.stringify(indexUrl)});
  hook.disable();
  await loaderSettled();
  const imported = taken();

  hook.enable();
  const stashes = Object.fromEntries(${JSON.stringify(ENGINES)}.map((engine) => [engine, new HashStash({ root: root(engine), engine, url: urls[engine] })]));
  const constructed = taken({ roots: ${JSON.stringify(ENGINES)}.filter((engine) => existsSync(root(engine))) });

  await stashes.lmdb.set('small', 1);
  const firstUse = taken({ roots: ${JSON.stringify(ENGINES)}.filter((engine) => existsSync(root(engine))) });
  await stashes.lmdb.set('large', 'x'.repeat(10_000));
  const compressed = taken();
  stashes.memory.sync.set('k', 1);
  const memoryOpened = taken();
  hook.disable();
  console.log(JSON.stringify({ before, imported, constructed, firstUse, compressed, memoryOpened }));
  await stashes.lmdb.close();
`;

t.test(
  'importing hashstash and constructing stashes start nothing; first use opens storage and loads what it needs',
  async (t) => {
    const dir = t.testdir();
    const { code, stdout, stderr } = await runChild(['--input-type=module', '-e', resourcesScript(dir)]);
    t.equal(code, 0, stderr);
    const { before, imported, constructed, firstUse, compressed, memoryOpened } = JSON.parse(stdout) as Record<
      string,
      Snapshot
    >;

    t.strictSame(imported.fds, before.fds, 'import opens no file descriptor');
    t.strictSame(imported.resources, before.resources, 'import leaves no active handle, request or timer');
    t.strictSame(
      imported.types!.filter((type) => !MODULE_LOADER.has(type)),
      [],
      'import makes no async resource beyond reading its modules (no timer, immediate, channel, worker or socket)',
    );
    t.equal(imported.arena, null, 'import makes no memory arena (none is in the environment data)');
    t.strictSame(before.packages, [], 'the child starts with no package loaded');
    t.strictSame(imported.packages, [], 'import loads no package: no storage library, codec or optional library');

    t.strictSame(constructed.fds, before.fds, 'constructing a stash of each engine opens no file descriptor');
    t.strictSame(constructed.resources, before.resources, 'nor any handle, request or timer');
    t.strictSame(
      constructed.types!.filter((type) => type !== 'PROMISE'),
      [],
      'nor any async resource: no socket, channel or sweep',
    );
    t.strictSame(constructed.roots, [], 'nor any folder');
    t.equal(
      constructed.arena,
      0,
      'constructing a memory stash only reserves the arena: zero bytes, for workers started before its first open',
    );
    t.strictSame(constructed.packages, [], 'and loads no storage library');

    t.strictSame(firstUse.roots, ['lmdb'], 'the first set opens the lmdb stash, and only it');
    t.ok(firstUse.packages.includes('lmdb'), 'lmdb loads on first use');
    for (const unused of ['lz4-napi', 'better-sqlite3', 'ioredis', 'mongodb', 'cli-progress', 'acorn', 'acorn-walk']) {
      t.notOk(firstUse.packages.includes(unused), `${unused} is not loaded by a small set on lmdb`);
    }
    t.ok(compressed.packages.includes('lz4-napi'), 'lz4-napi loads when a value is first compressed');
    t.ok(memoryOpened.arena! > 0, 'the arena is made on the first open of a memory stash');
    t.ok(memoryOpened.types!.includes('MESSAGEPORT'), 'and its channel opened then');
  },
);

t.test('importing hashstash loads no package and none of the engine, serializer, codec or key modules', async (t) => {
  // Module loads seen by a loader hook (ES modules; the resources test above sees CommonJS ones in require.cache).
  const hooks = `import { writeSync } from 'node:fs';
    export async function load(url, context, next) { writeSync(2, 'LOADED ' + url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  const { code, stderr } = await runChild([
    '--import',
    `data:text/javascript,${encodeURIComponent(register)}`,
    '--input-type=module',
    '-e',
    `await import(${JSON.stringify(indexUrl)});`,
  ]);
  t.equal(code, 0, stderr);
  const loaded = stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => line.slice('LOADED '.length));
  t.ok(loaded.includes(indexUrl), 'the hook saw the import');
  t.strictSame(
    loaded.filter((url) => url.includes('/node_modules/')),
    [],
    'no package',
  );
  const heavy =
    /\/src\/(engines\/(lmdb|sqlite|pairtree|redis|mongo|memory)\/store\.js|engines\/memory\/arena\.js|test-suite\/.*|serializers\/index\.js|codecs\/index\.js|keys\/encode\.js|parallel\/pool\.js|tmp\/sweep\.js)$/;
  t.strictSame(
    loaded.filter((url) => heavy.test(url)),
    [],
    'none of the modules that load on first use',
  );
});

t.test("options name sqlite's database file as the engine does", async (t) => {
  const { SQLITE_MAX_STASH_PATH_BYTES } = await import('../src/options.js');
  const { DATABASE_FILE } = await import('../src/engines/sqlite/store.js');
  t.equal(SQLITE_MAX_STASH_PATH_BYTES, 504 - join('/', DATABASE_FILE).length);
});

t.test('the names lists exported without loading serializers and codecs are theirs', async (t) => {
  const index = await import('../src/index.js');
  const { serializerNames } = await import('../src/serializers/index.js');
  const { codecNames } = await import('../src/codecs/index.js');
  t.strictSame(index.serializerNames, serializerNames);
  t.strictSame(index.codecNames, codecNames);
  t.ok(Object.isFrozen(index.serializerNames) && Object.isFrozen(index.codecNames), 'frozen, as theirs are');
});

t.test('the functions exported from index, which load their modules on first call, are those functions', async (t) => {
  const index = await import('../src/index.js');
  const serializers = await import('../src/serializers/index.js');
  const codecs = await import('../src/codecs/index.js');
  const keys = await import('../src/keys/encode.js');
  const { hashKey } = await import('../src/keys/hash.js');
  const value = { a: [1, 2n, new Date(0)], b: new Map([['x', new Set([1])]]) };
  for (const name of index.serializerNames) {
    const bytes = index.serialize(value, name);
    t.strictSame(bytes, serializers.serialize(value, name), `serialize, ${name}`);
    t.strictSame(index.deserialize(bytes, name), serializers.deserialize(bytes, name), `deserialize, ${name}`);
  }
  t.strictSame(index.serialize(value), serializers.serialize(value), 'serialize defaults to hashstash');
  const bytes = Buffer.from('hello '.repeat(100));
  for (const compress of index.codecNames) {
    const encoded = index.encode(bytes, { compress, b64: true });
    t.strictSame(encoded, codecs.encode(bytes, { compress, b64: true }), `encode, ${compress}`);
    t.strictSame(index.decode(encoded, { compress, b64: true }), bytes, `decode, ${compress}`);
  }
  t.strictSame(index.decode(index.encode(bytes)), bytes, 'encode and decode default to lz4');
  const key = { f: [1, 'two'], g: null };
  t.strictSame(index.encodeKey(key), keys.encodeKey(key));
  t.strictSame(index.decodeKey(index.encodeKey(key)), key);
  t.equal(index.hashKey(index.encodeKey(key)), hashKey(keys.encodeKey(key)));
  t.throws(() => index.deserialize('not bytes' as never), index.ConfigError, 'errors are theirs too');

  const root = t.testdir();
  let calls = 0;
  const double = index.stashed(
    (x: number) => {
      calls++;
      return 2 * x;
    },
    { root, engine: 'memory' },
  );
  t.equal(await double(21), 42);
  t.equal(await double(21), 42);
  t.equal(calls, 1, 'stashed memoizes');
  await double.stash.close();
});

t.test('where Node cannot require an ES module, first use fails with an UnsupportedError that says why', async (t) => {
  const script = `
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    try {
      new HashStash({ root: ${JSON.stringify(t.testdir())}, engine: 'memory' });
      console.log(JSON.stringify({ thrown: false }));
    } catch (error) {
      console.log(JSON.stringify({ name: error.name, code: error.code, message: error.message }));
    }
  `;
  const { code, stdout, stderr } = await runChild([
    '--no-experimental-require-module',
    '--input-type=module',
    '-e',
    script,
  ]);
  t.equal(code, 0, stderr);
  t.match(JSON.parse(stdout), {
    name: 'UnsupportedError',
    code: 'HASHSTASH_UNSUPPORTED',
    message: /--no-experimental-require-module/,
  });
});
