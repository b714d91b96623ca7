// The one loader of the libraries hashstash loads on first use (src/drivers.ts): its table agrees with package.json,
// and its check finds a package where require would, reads its version even when `exports` hides its package.json,
// and refuses a missing one, a too-old or too-new one, with a DriverMissingError that says what to run.
import t, { type Test } from 'tap';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkDriver, DRIVERS, installedVersion, satisfies, type DriverName } from '../src/drivers.js';
import { DriverMissingError, HashStashError } from '../src/index.js';
import { repoRoot } from './helpers/pack.js';

interface Manifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}
const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as Manifest;

t.test("the table's ranges are package.json's: a dependency, or an optional peer that our tests install", async (t) => {
  for (const [name, { range }] of Object.entries(DRIVERS)) {
    const declared = manifest.dependencies[name] ?? manifest.peerDependencies[name];
    t.equal(declared, range, `${name}: package.json declares ${range}`);
    if (manifest.peerDependencies[name] !== undefined) {
      t.equal(manifest.dependencies[name], undefined, `${name} is a peer, not also a dependency`);
      t.equal(manifest.peerDependenciesMeta[name]?.optional, true, `${name} is an optional peer`);
      t.ok(manifest.devDependencies[name], `${name} is a devDependency, so the tests have it`);
    }
  }
  for (const name of ['better-sqlite3', 'ioredis', 'mongodb', 'arquero']) {
    t.ok(manifest.peerDependencies[name], `${name} is an optional peer, not installed with hashstash`);
  }
  for (const name of ['lmdb', 'lz4-napi'])
    t.ok(manifest.dependencies[name], `${name} (the default path) is a dependency`);
});

t.test('the libraries in the repository are installed in a version of their range', async (t) => {
  for (const name of Object.keys(DRIVERS) as DriverName[]) t.doesNotThrow(() => checkDriver(name), name);
  // lmdb's `exports` has no ./package.json, so require.resolve('lmdb/package.json') would fail.
  const lmdb = JSON.parse(await readFile(join(repoRoot, 'node_modules', 'lmdb', 'package.json'), 'utf8')) as {
    version: string;
    exports: object;
  };
  t.notOk('./package.json' in lmdb.exports, 'lmdb hides its package.json');
  t.equal(installedVersion('lmdb', import.meta.url), lmdb.version, "lmdb's version is read all the same");
});

t.test('caret ranges: the same major, at least the minimum', async (t) => {
  const cases: [string, `^${string}`, boolean][] = [
    ['12.0.0', '^12.0.0', true],
    ['12.11.1', '^12.0.0', true],
    ['11.3.0', '^12.0.0', false],
    ['13.0.0', '^12.0.0', false],
    ['3.5.6', '^3.5.6', true],
    ['3.5.5', '^3.5.6', false],
    ['3.4.9', '^3.5.6', false],
    ['3.6.0', '^3.5.6', true],
    ['3.10.0', '^3.5.6', true],
    ['3.5.10', '^3.5.6', true],
    ['v12.1.0', '^12.0.0', true],
    ['12.1.0-beta.1', '^12.0.0', true],
    ['not a version', '^12.0.0', false],
    ['12', '^12.0.0', false],
  ];
  for (const [version, range, expected] of cases)
    t.equal(satisfies(version, range), expected, `${version} in ${range}`);
});

/** A folder outside the repository, whose node_modules `require` would search too. */
async function scratch(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-drivers-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

let projects = 0;
/** A new project folder in `root` whose node_modules holds the given packages (name → package.json); the URL of a file in it. */
async function project(root: string, packages: Record<string, object | string>): Promise<string> {
  const dir = join(root, `project-${++projects}`);
  for (const [name, manifest] of Object.entries(packages)) {
    await mkdir(join(dir, 'node_modules', name), { recursive: true });
    await writeFile(
      join(dir, 'node_modules', name, 'package.json'),
      typeof manifest === 'string' ? manifest : JSON.stringify({ name, ...manifest }),
    );
  }
  await mkdir(join(dir, 'src'), { recursive: true });
  return pathToFileURL(join(dir, 'src', 'consumer.js')).href;
}

function refusal(t: Test, name: DriverName, from: string): DriverMissingError | undefined {
  try {
    checkDriver(name, from);
  } catch (error) {
    t.type(error, DriverMissingError);
    t.type(error, HashStashError);
    return error as DriverMissingError;
  }
  t.fail(`${name} was accepted`);
  return undefined;
}

t.test('a missing, too-old or too-new package is refused with what to run; one in range is accepted', async (t) => {
  const root = await scratch(t);
  const missing = refusal(t, 'better-sqlite3', await project(root, {}));
  t.match(missing, {
    code: 'HASHSTASH_DRIVER_MISSING',
    driver: 'better-sqlite3',
    neededBy: 'the sqlite engine',
    found: undefined,
    install: 'npm i better-sqlite3@12',
    message: 'the sqlite engine needs better-sqlite3, which is not installed: npm i better-sqlite3@12',
  });

  const old = refusal(t, 'better-sqlite3', await project(root, { 'better-sqlite3': { version: '11.3.0' } }));
  t.match(old, {
    found: '11.3.0',
    message: 'the sqlite engine needs better-sqlite3 12.x, found 11.3.0: npm i better-sqlite3@12',
  });

  const newer = refusal(t, 'mongodb', await project(root, { mongodb: { version: '7.0.0' } }));
  t.match(newer, {
    found: '7.0.0',
    message: 'the mongo engine needs mongodb 6.x from 6.17.0, found 7.0.0: npm i mongodb@6',
  });

  const belowMinimum = refusal(t, 'lmdb', await project(root, { lmdb: { version: '3.1.0' } }));
  t.match(belowMinimum, { message: 'the lmdb engine needs lmdb 3.x from 3.5.6, found 3.1.0: npm i lmdb@3' });

  const broken = refusal(t, 'ioredis', await project(root, { ioredis: '{ not json' }));
  t.match(broken, {
    message: 'the redis engine needs ioredis 5.x from 5.3.0, found an unreadable package.json: npm i ioredis@5',
  });

  const hidden = await project(root, { ioredis: { version: '5.4.0', exports: { '.': { import: './index.mjs' } } } });
  t.doesNotThrow(
    () => checkDriver('ioredis', hidden),
    'a package whose exports hide package.json and `require` is found',
  );
});

t.test('the check looks in the folders require searches, nearest first', async (t) => {
  const from = await project(await scratch(t), { ioredis: { version: '4.28.0' } });
  const dir = join(new URL(from).pathname, '..');
  await mkdir(join(dir, 'node_modules', 'ioredis'), { recursive: true });
  await writeFile(
    join(dir, 'node_modules', 'ioredis', 'package.json'),
    JSON.stringify({ name: 'ioredis', version: '5.8.0' }),
  );
  t.equal(installedVersion('ioredis', from), '5.8.0', 'the nested one, as require would load');
  t.doesNotThrow(() => checkDriver('ioredis', from));
});
