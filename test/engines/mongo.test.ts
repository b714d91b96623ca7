import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { MongoClient } from 'mongodb';
import {
  EngineUnavailableError,
  HashStash,
  HashStashError,
  UnsupportedError,
  type HashStashOptions,
} from '../../src/index.js';
import { MAX_DOCUMENT_BYTES, mongoNames } from '../../src/engines/mongo/store.js';
import { freePort } from '../../scripts/test-servers/ports.js';
import { collect } from '../helpers/collect.js';
import { appendSuite } from '../helpers/append-suite.js';
import { engineConformance, stashConformance } from 'hashstash/test-suite';
import { engineFactory } from '../../src/engines/index.js';
import { privateServerSkip, requireServer, startFerretDb } from '../helpers/servers.js';

// The bulk tests write 100 MB through FerretDB, and the fault tests wait out server-selection timeouts.
t.setTimeout(600_000);

/**
 * A database of this run's own, dropped when the file ends: what a stash writes on the server outlives the test
 * folder whose path names it, and a later run reuses those paths.
 */
const runDatabase = `hashstash_test_${process.pid}_${Date.now().toString(36)}`;
const sharedUrl = requireServer(t, 'mongo');
const url = sharedUrl && withUrl(sharedUrl, { database: runDatabase });
const indexUrl = new URL('../../src/index.js', import.meta.url).href;

/** One raw client for the file, to look at what the engine stored. */
let raw: MongoClient | undefined;
function rawClient(): MongoClient {
  if (!raw) {
    const client = (raw = new MongoClient(url!, { serverSelectionTimeoutMS: 5000 }));
    t.teardown(async () => {
      await client.db(runDatabase).dropDatabase();
      await client.close();
    });
  }
  return raw;
}

/** The collection of a stash, read with the raw client. Roots here are absolute: as given, they are `stash.root`. */
function rawCollection(stash: HashStash, onUrl = url!) {
  const namespace = [stash.root, stash.name, basename(stash.path)].join('/');
  const { database, collection } = mongoNames(onUrl, namespace);
  return rawClient().db(database).collection<{ _id: string; k?: unknown; v: unknown }>(collection);
}

/** A stash closed when the test ends. */
function open(t: Test, options: Partial<HashStashOptions> = {}): HashStash {
  const stash = new HashStash({ engine: 'mongo', url, root: t.testdir(), ...options });
  t.teardown(() => stash.close());
  return stash;
}

async function failure(operation: () => unknown): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** `base` with another database (when given) and one more option (when given). */
function withUrl(base: string, { database, option }: { database?: string; option?: string }): string {
  const [, hosts, path, query] = /^([a-z+]+:\/\/[^/?]+)\/?([^?]*)(?:\?(.*))?$/i.exec(base)!;
  const options = [query, option].filter(Boolean).join('&');
  return `${hosts}/${database ?? path}${options ? `?${options}` : ''}`;
}

if (url) {
  rawClient(); // now, so that its teardown drops the run's database whichever tests run
  stashConformance({
    test: t.test.bind(t),
    engine: 'mongo',
    persistent: true,
    sync: false,
    onDisk: false,
    bigCount: 20_000,
    options: () => ({ url }),
  });
  engineConformance({ test: t.test.bind(t), name: 'mongo', factory: engineFactory('mongo'), context: { url } });
  // Stashes on one URL share a client, whose pool sends concurrent appends on several connections.
  appendSuite(t, { engine: 'mongo', persistent: true, sync: false, options: () => ({ url }), lanes: () => ({}) });

  t.test(
    'each stash has a collection of its own: others never see its entries, and clear() empties only it',
    async (t) => {
      const root = t.testdir();
      const otherRoot = `${root}-other`;
      const variants: [string, Partial<HashStashOptions>][] = [
        ['base', { root }],
        ['other name', { root, name: 'other' }],
        ['sub-stash', { root, name: 'main/inner' }],
        ['other settings', { root, compress: 'raw', b64: true }],
        ['other root', { root: otherRoot }],
      ];
      const stashes = variants.map(([label, options]) => [label, open(t, options)] as const);
      for (const [label, stash] of stashes) await stash.set('shared', label);
      const collections = stashes.map(([, stash]) => rawCollection(stash));
      t.equal(
        new Set(collections.map((c) => `${c.dbName}.${c.collectionName}`)).size,
        variants.length,
        'five collections',
      );
      for (const [i, [label, stash]] of stashes.entries()) {
        t.equal(await stash.get('shared'), label, `${label} reads its own value`);
        const documents = await collections[i].find({}).toArray();
        t.equal(documents.length, 1, `${label}: its collection holds its one entry`);
        t.equal(documents[0]._id, '"shared"', 'under the key text');
      }
      await stashes[0][1].clear();
      t.equal(await collections[0].countDocuments(), 0, 'the cleared stash is empty');
      for (const [i, [label]] of stashes.entries()) {
        if (i > 0) t.equal(await collections[i].countDocuments(), 1, `${label} still holds its entry`);
      }
      t.equal(await stashes[2][1].get('shared'), 'sub-stash', 'a stash named inside the cleared one is untouched');
    },
  );

  t.test('database and collection names are valid for odd roots and names', async (t) => {
    const base = t.testdir();
    const cases: [string, Partial<HashStashOptions>][] = [
      ['spaces', { root: `${base}/with spaces/and more`, name: 'a name with spaces' }],
      ['dots', { root: `${base}/.hidden.dir`, name: '.dotted.name.' }],
      ['unicode', { root: `${base}/ünïcødé 漢字`, name: '😀/サブ' }],
      ['reserved words', { root: `${base}/system`, name: 'system' }],
      ['FerretDB prefix', { root: `${base}/r`, name: '_ferretdb_x' }],
      ['punctuation', { root: `${base}/$*<>:|?"\\`, name: 'a$b*c<d>e:f|g?h"i' }],
      // As long as a root and name may be on every engine (folder names up to 255 bytes: src/options.ts).
      ['very long', { root: `${base}/${'r'.repeat(255)}`, name: `${'n'.repeat(255)}/${'m'.repeat(255)}` }],
    ];
    const names = new Set<string>();
    for (const [label, options] of cases) {
      const stash = open(t, options);
      await stash.set('k', label);
      t.equal(await stash.get('k'), label, `${label}: writes and reads back`);
      const collection = rawCollection(stash);
      t.equal(await collection.countDocuments(), 1, `${label}: in the collection its name says`);
      t.match(
        collection.collectionName,
        /^[A-Za-z0-9_+.-]{1,100}$/,
        `${label}: a plain ASCII name of at most 100 characters`,
      );
      t.notMatch(collection.collectionName, /^(\.|system\.|_ferretdb_)/, `${label}: not a reserved name`);
      names.add(collection.collectionName);
    }
    t.equal(names.size, cases.length, 'every stash its own collection');
    const namespace = `${base}/main/mongo.hashstash.lz4`;
    t.strictSame(mongoNames(url, namespace), mongoNames(url, namespace), 'the names are deterministic');
    t.not(
      mongoNames(url, namespace).collection,
      mongoNames(url, `${base}/Main/mongo.hashstash.lz4`).collection,
      'names differing only in case are different collections',
    );
  });

  t.test('the database named in the URL is the one used', async (t) => {
    const database = 'hashstash_url_database_test';
    const stash = open(t, { url: withUrl(url, { database }) });
    await stash.set('k', 'v');
    const collection = rawCollection(stash, withUrl(url, { database }));
    t.equal(collection.dbName, database);
    t.equal(await collection.countDocuments(), 1);
    t.equal(
      mongoNames('mongodb://127.0.0.1:27017/?appName=x', '/r/main/mongo.hashstash.lz4').database,
      'hashstash',
      'hashstash when the URL names none',
    );
    t.teardown(() => rawClient().db(database).dropDatabase());
  });

  t.test('keys that are not short UTF-8 text are stored under a hash and come back whole', async (t) => {
    const stash = open(t);
    const engine = stash.engine;
    const keys: [string, Uint8Array, 'text' | 'hashed'][] = [
      ['plain', Buffer.from('"plain"'), 'text'],
      ['HTML and line separators', Buffer.from('"<a href=\'x\'>&amp;</a> \u2028 \u2029 \\" \\\\"'), 'text'],
      ['1000 bytes', Buffer.alloc(1000, 'a'), 'text'],
      ['1001 bytes', Buffer.alloc(1001, 'a'), 'hashed'],
      ['invalid UTF-8', Buffer.from([0x22, 0xff, 0xfe, 0x22]), 'hashed'],
      ['a NUL byte', Buffer.from('a\0b'), 'hashed'],
      ['a leading \\x01', Buffer.from('\u0001xyz'), 'hashed'],
      ['empty', new Uint8Array(0), 'text'],
    ];
    for (const [label, key] of keys) await engine.set(key, Buffer.from(label));
    for (const [label, key] of keys)
      t.equal(Buffer.from((await engine.get(key))!).toString(), label, `${label}: reads back`);
    const stored = await rawCollection(stash).find({}).toArray();
    for (const [label, key, form] of keys) {
      const text = Buffer.from(key).toString('utf8');
      const document =
        form === 'text'
          ? stored.find((d) => d._id === text)
          : stored.find((d) => d.k !== undefined && Buffer.from((d.k as { buffer: Uint8Array }).buffer).equals(key));
      t.ok(document, `${label}: stored as ${form}`);
      // eslint-disable-next-line no-control-regex -- \u0001 is the marker byte of a hashed _id
      if (form === 'hashed') t.match(document?._id, /^\u0001[A-Za-z0-9_-]{43}$/, `${label}: under a marked sha256`);
    }
    const iterated = (await collect(engine.keys())).map((key) => Buffer.from(key).toString('hex')).sort();
    t.strictSame(
      iterated,
      keys.map(([, key]) => Buffer.from(key).toString('hex')).sort(),
      'iteration gives every key back whole',
    );
    t.strictSame(
      (await engine.getMany(keys.map(([, key]) => key))).map((value) => Buffer.from(value!).toString()),
      keys.map(([label]) => label),
      'getMany finds them in the asked order',
    );
    for (const [label, key] of keys) t.equal(await engine.delete(key), true, `${label}: deletes`);
    t.equal(await engine.size(), 0);
  });

  t.test('size is exact after concurrent writes of the same new keys from several stashes', async (t) => {
    const root = t.testdir();
    const one = open(t, { root });
    const two = open(t, { root });
    const other = new HashStash({ engine: 'mongo', url: withUrl(url, { option: 'appName=other' }), root });
    t.teardown(() => other.close());
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        writes.push([one, two, other][(i + round) % 3].set(`k${i}`, { i, round }));
      }
    }
    writes.push(
      one.setMany(Array.from({ length: 150 }, (_, i) => [`k${i}`, { i, round: 'bulk' }] as [string, unknown])),
    );
    writes.push(
      two.setMany(
        Array.from({ length: 150 }, (_, i) => [`k${i + 50}`, { i: i + 50, round: 'bulk' }] as [string, unknown]),
      ),
    );
    await Promise.all(writes);
    t.equal(await one.size(), 200, 'every key counted once');
    t.equal(await other.size(), 200, 'by every client');
    const values = await two.getMany(Array.from({ length: 200 }, (_, i) => `k${i}`));
    t.strictSame(
      (values as ({ i: number } | undefined)[]).filter((value, i) => value?.i !== i),
      [],
      'each key holds one of its own writes',
    );
    const keys = await collect(one.keys());
    t.equal(new Set(keys).size, 200, 'iteration lists each key once');
  });

  t.test('setMany with a key twice in one batch keeps the last value', async (t) => {
    const stash = open(t);
    await stash.set('a', 'before');
    await stash.setMany([
      ['a', 1],
      ['b', 1],
      ['a', 2],
      ['b', 2],
      ['a', 3],
    ]);
    t.strictSame(await stash.getMany(['a', 'b']), [3, 2]);
    t.equal(await stash.size(), 2);
  });

  t.test(`a value too large for a MongoDB document is a typed error and the stash keeps working`, async (t) => {
    const stash = open(t);
    await stash.set('small', 1);
    // Random bytes, so that compression cannot bring the value under the limit.
    const big = randomBytes(17 * 1024 * 1024);
    const error = await failure(() => stash.set('big', big));
    t.type(error, UnsupportedError, 'set rejects with UnsupportedError');
    t.type(error, HashStashError);
    t.match((error as Error).message, /16777216|16 MiB/, 'saying what the limit is');
    const bulk = await failure(() =>
      stash.setMany([
        ['before', 1],
        ['big', big],
        ['after', 2],
      ]),
    );
    t.type(bulk, UnsupportedError, 'setMany rejects too');
    t.equal(await stash.has('before'), false, 'and writes nothing of that batch');
    t.equal(await stash.has('big'), false);
    const engine = stash.engine;
    const fits = Buffer.alloc(MAX_DOCUMENT_BYTES - 64, 1);
    await engine.set(Buffer.from('"fits"'), fits);
    t.equal((await engine.get(Buffer.from('"fits"')))?.length, fits.length, 'a value just under the limit is stored');
    t.equal(await stash.get('small'), 1, 'the stash still reads');
    await stash.set('later', 2);
    t.equal(await stash.get('later'), 2, 'and writes');
  });

  t.test('a process exits by itself once its stashes are closed', async (t) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      const { HashStash } = await import(${JSON.stringify(indexUrl)});
      const options = { engine: 'mongo', url: ${JSON.stringify(url)}, root: ${JSON.stringify(t.testdir())} };
      const one = new HashStash(options), two = new HashStash({ ...options, name: 'two' });
      await one.set('k', 1);
      await two.set('k', 2);
      await one.close();
      console.log(await two.get('k'));
      await two.close();
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    t.equal(code, 0, `the child exited on its own after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    t.equal(output.trim(), '2', 'the second stash kept working after the first closed the shared client');
  });
}

t.test('a URL where nothing listens gives EngineUnavailableError naming the URL within 5 s', async (t) => {
  const port = await freePort();
  const where = `mongodb://hashuser@127.0.0.1:${port}/somedb`;
  const stash = new HashStash({
    engine: 'mongo',
    url: `mongodb://hashuser:s3cret@127.0.0.1:${port}/somedb`,
    root: t.testdir(),
  });
  t.teardown(() => stash.close());
  const operations: [string, () => Promise<unknown>][] = [
    ['get', () => stash.get('k')],
    ['set', () => stash.set('k', 1)],
    ['size', () => stash.size()],
    ['keys', () => collect(stash.keys())],
  ];
  for (const [label, operation] of operations) {
    const started = performance.now();
    const error = await failure(operation);
    const seconds = (performance.now() - started) / 1000;
    t.type(error, EngineUnavailableError, `${label}: EngineUnavailableError`);
    t.equal((error as EngineUnavailableError).location, where, `${label}: location is the URL without its password`);
    t.match((error as Error).message, where, `${label}: the message names it`);
    t.notMatch((error as Error).message, 's3cret', `${label}: and never shows the password`);
    t.ok(seconds < 5, `${label}: failed in ${seconds.toFixed(1)} s`);
  }
  await t.resolves(() => stash.close(), 'close resolves');
});

t.test('a bad URL is a ConfigError', async (t) => {
  const stash = new HashStash({
    engine: 'mongo',
    url: 'mongodb://127.0.0.1:27017/?retryWrites=maybe',
    root: t.testdir(),
  });
  t.teardown(() => stash.close());
  const error = await failure(() => stash.get('k'));
  t.type(error, HashStashError);
  t.equal((error as HashStashError).code, 'HASHSTASH_CONFIG', `a ConfigError: ${(error as Error).message}`);
});

t.test(
  'a server stopped mid-run gives typed errors; started again, the same stash works on',
  { skip: privateServerSkip('mongo') },
  async (t) => {
    const server = await startFerretDb();
    t.teardown(() => server.dispose());
    const stash = new HashStash({ engine: 'mongo', url: server.url, root: t.testdir() });
    t.teardown(() => stash.close());
    await stash.setMany(Array.from({ length: 3000 }, (_, i) => [i, `value ${i}`] as [number, string]));
    t.equal(await stash.get(7), 'value 7');

    // Stopped in the middle of an iteration, with writes and reads in flight.
    const seen: unknown[] = [];
    const iteration = (async () => {
      for await (const [key] of stash) {
        seen.push(key);
        if (seen.length === 1) await server.stop();
      }
    })();
    const inFlight = [stash.set('during', 1), stash.get(8), stash.size()];
    const results = await Promise.allSettled([iteration, ...inFlight]);
    for (const result of results) {
      if (result.status === 'rejected')
        t.type(result.reason, HashStashError, `typed: ${(result.reason as Error).message.slice(0, 120)}`);
    }
    t.equal(results[0].status, 'rejected', 'the iteration fails rather than ending early');
    t.type((results[0] as PromiseRejectedResult).reason, EngineUnavailableError);

    for (const [label, operation] of [
      ['get', () => stash.get(7)],
      ['set', () => stash.set('x', 1)],
      ['delete', () => stash.delete(7)],
      ['size', () => stash.size()],
      ['getMany', () => stash.getMany([1, 2])],
      ['clear', () => stash.clear()],
    ] as [string, () => Promise<unknown>][]) {
      const started = performance.now();
      const error = await failure(operation);
      t.type(error, EngineUnavailableError, `${label} while the server is down: EngineUnavailableError`);
      t.equal((error as EngineUnavailableError).location, server.url, `${label}: naming the server`);
      t.ok(performance.now() - started < 10_000, `${label}: within seconds`);
    }

    // A stash on a client of its own, first used while the server is down.
    const late = new HashStash({
      engine: 'mongo',
      url: withUrl(server.url, { option: 'appName=late' }),
      root: t.testdir(),
    });
    t.teardown(() => late.close());
    t.type(await failure(() => late.get(7)), EngineUnavailableError, 'a first use while the server is down fails');

    await server.start();
    t.equal(await stash.get(7), 'value 7', 'the same stash object reads again, its data kept');
    t.equal(await late.get(7), 'value 7', 'and so does the stash whose very first connection failed');
    await stash.set('after', 'restart');
    t.equal(await stash.get('after'), 'restart', 'and writes');
    t.ok((await stash.size()) >= 3001, 'and counts');
  },
);
