// A project that installed only hashstash: the packed tarball and its runtime dependencies, none of the optional
// drivers. The default path (lmdb, lz4) and stash.map work; building a stash on sqlite, redis or mongo, from ES or
// CommonJS code, fails at once (no server needed) with a DriverMissingError that says what to install; so does a
// better-sqlite3 that is too old, or whose native addon does not load. Tables work without arquero, and toArquero()
// says what to install.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installInto } from '../helpers/pack.js';

const PEERS = ['better-sqlite3', 'ioredis', 'mongodb', 'arquero'];

const defaultPath = `
import { createRequire } from 'node:module';
import { HashStash } from 'hashstash';
const report = {};
// Where hashstash's own code would look: none of the optional libraries may be there.
const fromHashstash = createRequire(createRequire(import.meta.url).resolve('hashstash'));
report.absent = ${JSON.stringify(PEERS)}.filter((name) => { try { fromHashstash.resolve(name); return false; } catch { return true; } });
const stash = new HashStash({ root: 'stashes' });
const value = { text: 'compressible '.repeat(1000), when: new Date(0) };
await stash.set({ k: 1 }, value);
report.lmdb = JSON.stringify(await stash.get({ k: 1 })) === JSON.stringify(value);
report.map = await stash.map((n) => n * n, [1, 2, 3], { numProc: 1 }).all();
await stash.close();
console.log(JSON.stringify(report));
`;

/** Builds a stash on each engine named on the command line, uses it, and prints what threw where. */
const esmConsumer = `
import { HashStash, DriverMissingError, HashStashError } from 'hashstash';
const report = {};
for (const engine of process.argv.slice(2)) {
  let stage = 'build';
  try {
    const stash = new HashStash({ root: 'stashes', engine });
    stage = 'first use';
    await stash.set('k', 1);
    report[engine] = { ok: await stash.get('k') === 1 };
    await stash.close();
  } catch (error) {
    report[engine] = {
      stage, name: error.name, driverMissing: error instanceof DriverMissingError, hashstash: error instanceof HashStashError,
      code: error.code, message: error.message, driver: error.driver, neededBy: error.neededBy, found: error.found,
      install: error.install, cause: error.cause === undefined ? undefined : String(error.cause),
    };
  }
}
const memory = new HashStash({ root: 'stashes', engine: 'memory' });
await memory.set('k', { a: { b: 1 } });
const table = await memory.table();
report.table = { printout: /a\\.b/.test(String(table)), csv: table.toCSV() };
await table.toArquero().catch((error) => {
  report.arquero = { driverMissing: error instanceof DriverMissingError, message: error.message };
});
console.log(JSON.stringify(report));
`;

const cjsConsumer = `
const { HashStash, DriverMissingError } = require('hashstash');
const report = {};
for (const engine of ['sqlite', 'redis', 'mongo']) {
  try {
    new HashStash({ root: 'stashes', engine });
    report[engine] = 'built';
  } catch (error) {
    report[engine] = { driverMissing: error instanceof DriverMissingError, code: error.code, message: error.message };
  }
}
console.log(JSON.stringify(report));
`;

/** A broken install, without even the runtime dependencies: the default engine, codec and stash.map say what is missing. */
const brokenInstall = `
import { HashStash, DriverMissingError } from 'hashstash';
const report = {};
const describe = (error) => ({ driverMissing: error instanceof DriverMissingError, message: error.message });
try { new HashStash({ root: 'stashes' }); report.lmdb = 'built'; } catch (error) { report.lmdb = describe(error); }
const memory = new HashStash({ root: 'stashes', engine: 'memory' });
try { await memory.set('large', 'x'.repeat(10_000)); report.lz4 = 'stored'; } catch (error) { report.lz4 = describe(error); }
try { await memory.map((n) => n, [1], { numProc: 1 }).all(); report.map = 'mapped'; } catch (error) { report.map = describe(error); }
await memory.close();
console.log(JSON.stringify(report));
`;

const missing = (engine: string, driver: string, major: number) => ({
  stage: 'build',
  name: 'DriverMissingError',
  driverMissing: true,
  hashstash: true,
  code: 'HASHSTASH_DRIVER_MISSING',
  message: `the ${engine} engine needs ${driver}, which is not installed: npm i ${driver}@${major}`,
  driver,
  neededBy: `the ${engine} engine`,
  install: `npm i ${driver}@${major}`,
});

t.test('a project without the optional drivers: the default path works, the others say what to install', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hashstash-no-drivers-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await installInto(dir, 'no-drivers');
  await writeFile(join(dir, 'default-path.mjs'), defaultPath);
  await writeFile(join(dir, 'consumer.mjs'), esmConsumer);
  await writeFile(join(dir, 'consumer.cjs'), cjsConsumer);
  await writeFile(join(dir, 'broken-install.mjs'), brokenInstall);
  const env: NodeJS.ProcessEnv = { ...process.env, HASHSTASH_HOME: join(dir, 'home') };
  delete env.NODE_PATH;
  const node = async (script: string, ...args: string[]) => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(dir, script), ...args], {
      cwd: dir,
      env,
      timeout: 60_000,
    });
    t.equal(stderr, '', `${script}: nothing on stderr`);
    return JSON.parse(stdout) as Record<string, unknown>;
  };

  t.strictSame(
    await node('default-path.mjs'),
    { absent: PEERS, lmdb: true, map: [1, 4, 9] },
    'lmdb, lz4 and stash.map work',
  );

  const esm = await node('consumer.mjs', 'sqlite', 'redis', 'mongo');
  t.strictSame(esm.sqlite, missing('sqlite', 'better-sqlite3', 12), 'sqlite: refused when the stash is built');
  t.strictSame(esm.redis, missing('redis', 'ioredis', 5), 'redis: refused when built, with no server');
  t.strictSame(esm.mongo, missing('mongo', 'mongodb', 6), 'mongo: refused when built, with no server');
  t.strictSame(esm.table, { printout: true, csv: '_key,a.b\r\nk,1\r\n' }, 'tables print and write CSV without arquero');
  t.strictSame(
    esm.arquero,
    { driverMissing: true, message: 'table.toArquero() needs arquero, which is not installed: npm i arquero@7' },
    'toArquero() says what to install',
  );

  const cjs = await node('consumer.cjs');
  for (const [engine, driver, major] of [
    ['sqlite', 'better-sqlite3', 12],
    ['redis', 'ioredis', 5],
    ['mongo', 'mongodb', 6],
  ] as const) {
    t.strictSame(
      cjs[engine],
      { driverMissing: true, code: 'HASHSTASH_DRIVER_MISSING', message: missing(engine, driver, major).message },
      `CommonJS, ${engine}`,
    );
  }

  // A better-sqlite3 too old: refused from its package.json, before its code runs.
  const fake = join(dir, 'node_modules', 'better-sqlite3');
  await mkdir(fake);
  await writeFile(
    join(fake, 'package.json'),
    JSON.stringify({ name: 'better-sqlite3', version: '11.0.0', main: 'index.js' }),
  );
  await writeFile(join(fake, 'index.js'), "throw new Error('the too-old better-sqlite3 was loaded');\n");
  const old = await node('consumer.mjs', 'sqlite');
  t.strictSame(
    old.sqlite,
    {
      ...missing('sqlite', 'better-sqlite3', 12),
      found: '11.0.0',
      message: 'the sqlite engine needs better-sqlite3 12.x, found 11.0.0: npm i better-sqlite3@12',
    },
    'a too-old better-sqlite3 is refused, not loaded',
  );

  // One of the right version whose native addon does not load, which better-sqlite3 finds out on its first connection.
  await writeFile(
    join(fake, 'package.json'),
    JSON.stringify({ name: 'better-sqlite3', version: '12.0.0', main: 'index.js' }),
  );
  await writeFile(
    join(fake, 'index.js'),
    "module.exports = class Database { constructor() { throw new Error('Could not locate the bindings file.'); } };\n",
  );
  const broken = await node('consumer.mjs', 'sqlite');
  t.strictSame(
    broken.sqlite,
    {
      ...missing('sqlite', 'better-sqlite3', 12),
      stage: 'first use',
      found: '12.0.0',
      cause: 'Error: Could not locate the bindings file.',
      message:
        'the sqlite engine needs better-sqlite3, and better-sqlite3 12.0.0 is installed but did not load ' +
        '(Could not locate the bindings file.); reinstall it: npm i better-sqlite3@12',
    },
    'one whose native addon fails is a DriverMissingError too, with the cause',
  );

  for (const name of ['lmdb', 'lz4-napi', 'acorn']) await rm(join(dir, 'node_modules', name));
  t.strictSame(
    await node('broken-install.mjs'),
    {
      lmdb: { driverMissing: true, message: 'the lmdb engine needs lmdb, which is not installed: npm i lmdb@3' },
      lz4: { driverMissing: true, message: 'the lz4 codec needs lz4-napi, which is not installed: npm i lz4-napi@2' },
      map: { driverMissing: true, message: 'stash.map needs acorn, which is not installed: npm i acorn@8' },
    },
    'without lmdb, lz4-napi or acorn, the default engine, codec and stash.map say so',
  );
});
