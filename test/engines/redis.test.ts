import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import {
  ConfigError,
  EngineUnavailableError,
  HashStash,
  HashStashError,
  UnsupportedError,
  type HashStashOptions,
} from '../../src/index.js';
import { stashKeyName } from '../../src/engines/redis/store.js';
import { freePort } from '../../scripts/test-servers/ports.js';
import { collect } from '../helpers/collect.js';
import { appendSuite } from '../helpers/append-suite.js';
import { engineConformance, stashConformance } from 'hashstash/test-suite';
import { engineFactory } from '../../src/engines/index.js';
import { privateServerSkip, requireServer, startRedis, type PrivateServer } from '../helpers/servers.js';

// A raw `node` run times out after 30 s unless told; the fault tests wait for servers to stop and start.
t.setTimeout(300_000);

const MB = 1024 * 1024;
const indexUrl = new URL('../../src/index.js', import.meta.url).href;

/** A plain ioredis client of the test's own, disconnected when `t` ends. */
function rawClient(t: Test, url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  t.teardown(() => {
    client.disconnect();
  });
  return client;
}

const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&');

/** Unlinks every stash hash whose namespace lies under `root` (a shared server keeps data between runs). */
async function removeStashesUnder(client: Redis, root: string): Promise<void> {
  const pattern = `hashstash:{*}:${globEscape(root)}/*`;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length) await client.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Calls of one command since the server started, from INFO commandstats. */
async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

/** The ids of the connections hashstash holds open on the server (it names them `hashstash`). */
async function stashConnections(client: Redis): Promise<string[]> {
  const list = (await client.client('LIST')) as string;
  return list
    .split('\n')
    .filter((line) => / name=hashstash /.test(line))
    .map((line) => /\bid=(\d+)/.exec(line)![1]);
}

async function failure(operation: () => unknown): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A stash on the redis engine, closed when the test ends. */
function open<K = unknown, V = unknown>(t: Test, options: Partial<HashStashOptions>): HashStash<K, V> {
  const stash = new HashStash<K, V>({ engine: 'redis', root: t.testdirName, ...options });
  t.teardown(() => stash.close());
  return stash;
}

/** Every operation of the dictionary, each to be proved to fail the same way. */
const operations = (stash: HashStash): [string, () => Promise<unknown>][] => [
  ['get', () => stash.get('k')],
  ['set', () => stash.set('k', 1)],
  ['has', () => stash.has('k')],
  ['delete', () => stash.delete('k')],
  ['size', () => stash.size()],
  ['clear', () => stash.clear()],
  ['getMany', () => stash.getMany(['k', 'l'])],
  [
    'setMany',
    () =>
      stash.setMany([
        ['k', 1],
        ['l', 2],
      ]),
  ],
  ['keys', () => collect(stash.keys())],
  ['entries', () => collect(stash.entries())],
];

/** A child node process running an ES module body with `input` as JSON; resolves with its exit code and output. */
function runChild(
  body: string,
  input: unknown,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const input = JSON.parse(process.env.HASHSTASH_CHILD);
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    ${body}
  `,
    ],
    { env: { ...process.env, HASHSTASH_CHILD: JSON.stringify(input) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    }),
  );
}

// ---- on the shared server ----

const url = requireServer(t, 'redis');
if (url) {
  const raw = rawClient(t, url);

  stashConformance({
    test: t.test.bind(t),
    engine: 'redis',
    persistent: true,
    sync: false,
    onDisk: false,
    // The suite's stashes live under each test's root; the server keeps them from run to run unless removed.
    options: async (root) => {
      await removeStashesUnder(raw, root);
      return { url };
    },
    cleanup: (root) => removeStashesUnder(raw, root),
  });
  engineConformance({ test: t.test.bind(t), name: 'redis', factory: engineFactory('redis'), context: { url } });
  appendSuite(t, {
    engine: 'redis',
    persistent: true,
    sync: false,
    options: async (t) => {
      await removeStashesUnder(raw, t.testdirName);
      t.teardown(() => removeStashesUnder(raw, t.testdirName));
      return { url };
    },
    // A stash shares its process's connection to a URL; another connection name is another URL, so another connection.
    lanes: (lane) => ({ url: `${url}${url.includes('?') ? '&' : '?'}connectionName=append-lane-${lane}` }),
  });

  t.test('redis on the shared server', async (t) => {
    t.beforeEach(async (t) => {
      await removeStashesUnder(raw, t.testdirName);
      t.teardown(() => removeStashesUnder(raw, t.testdirName));
    });

    t.test(
      'a relative root names the same stash from every machine: the local cache home is not part of it',
      async (t) => {
        const root = `shared-root-${process.pid}-${Date.now()}`;
        const home = process.env.HASHSTASH_HOME;
        t.teardown(() => removeStashesUnder(raw, root));
        let onA: HashStash;
        let onB: HashStash;
        try {
          process.env.HASHSTASH_HOME = '/machine-a/cache';
          onA = open(t, { url, root });
          process.env.HASHSTASH_HOME = '/machine-b/cache';
          onB = open(t, { url, root });
        } finally {
          if (home === undefined) delete process.env.HASHSTASH_HOME;
          else process.env.HASHSTASH_HOME = home;
        }
        t.not(onA.path, onB.path, 'the two would live in different local folders');
        await onA.set({ shared: true }, 'written on machine a');
        t.equal(await onB.get({ shared: true }), 'written on machine a');
        t.equal(await onB.size(), 1);
      },
    );

    t.test('each stash is one hash; clear() unlinks only that one and never flushes the database', async (t) => {
      const root = t.testdirName;
      const stashes = {
        main: open(t, { url, root }),
        other: open(t, { url, root, name: 'other' }),
        raw: open(t, { url, root, compress: 'raw' }),
        inner: open(t, { url, root, name: 'default/inner' }),
        sibling: open(t, { url, root: `${root}-sibling` }),
      };
      t.teardown(() => removeStashesUnder(raw, `${root}-sibling`));
      const unrelated = `unrelated:${process.pid}:${Date.now()}`;
      await raw.set(unrelated, 'not a stash');
      await raw.hset(`${unrelated}:hash`, 'field', 'value');
      t.teardown(() => raw.unlink(unrelated, `${unrelated}:hash`));

      for (const [label, stash] of Object.entries(stashes)) {
        await stash.setMany(Array.from({ length: 5 }, (_, i) => [`${label}-${i}`, i] as [string, number]));
        await stash.set('shared key', label);
      }
      for (const [label, stash] of Object.entries(stashes)) {
        t.equal(await stash.get('shared key'), label, `${label} reads its own value`);
        t.equal(await stash.size(), 6, `${label} counts its own entries`);
        t.equal(await raw.hlen(stashKeyName(stash.path)), 6, `${label} is the hash ${stashKeyName(stash.path)}`);
      }

      const flushesBefore = (await commandCalls(raw, 'flushdb')) + (await commandCalls(raw, 'flushall'));
      await stashes.main.clear();
      t.equal(await stashes.main.size(), 0);
      t.equal(await raw.exists(stashKeyName(stashes.main.path)), 0, "the cleared stash's hash is gone");
      for (const label of ['other', 'raw', 'inner', 'sibling'] as const) {
        t.equal(await stashes[label].size(), 6, `${label} is untouched`);
      }
      t.equal(await raw.get(unrelated), 'not a stash', 'a key that is not a stash survives');
      t.equal(await raw.hget(`${unrelated}:hash`, 'field'), 'value', 'and so does a hash that is not one');
      t.equal(
        (await commandCalls(raw, 'flushdb')) + (await commandCalls(raw, 'flushall')),
        flushesBefore,
        'no FLUSHDB or FLUSHALL was sent',
      );
      await stashes.main.set('after', true);
      t.equal(await stashes.main.size(), 1, 'a cleared stash keeps working');
    });

    t.test('operations issued in one tick take effect in the order they were issued', async (t) => {
      const stash = open(t, { url });
      const twin = open(t, { url });
      const other = open(t, { url, name: 'other' });
      // Nothing awaited in between: gets and sets travel together as HMGET and HSET, and order must survive that.
      const oneTick = () =>
        Promise.all([
          stash.set('k', 1),
          stash.get('k'),
          other.set('k', 'other'),
          stash.set('k', 2),
          twin.get('k'),
          stash.has('k'),
          stash.delete('k'),
          stash.get('k'),
          twin.has('k'),
          stash.set('j', 'x'),
          stash.set('k', 3),
          stash.size(),
          stash.getMany(['j', 'k']),
          twin.delete('j'),
          stash.get('j'),
          stash.clear(),
          stash.get('k'),
          stash.set('after', 'clear'),
          other.get('k'),
        ]);
      const expected = [
        undefined,
        1,
        undefined,
        undefined,
        2,
        true,
        true,
        undefined,
        false,
        undefined,
        undefined,
        2,
        ['x', 3],
        true,
        undefined,
        undefined,
        undefined,
        undefined,
        'other',
      ];
      t.strictSame(await oneTick(), expected, 'issued before the connection is made');
      t.strictSame(await collect(stash.keys()), ['after']);
      await stash.clear();
      t.strictSame(await oneTick(), expected, 'issued on a ready connection');
      t.strictSame(await collect(stash.keys()), ['after']);

      const many = Array.from({ length: 2_500 }, (_, i) => i);
      const written = await Promise.all(many.map((i) => stash.set(i, i * 2)));
      t.equal(written.length, many.length);
      t.strictSame(
        await Promise.all(many.map((i) => stash.get(i))),
        many.map((i) => i * 2),
        '2,500 concurrent gets, each its own value',
      );
      t.strictSame(
        await Promise.all(many.map((i) => stash.has(i + 1_250))),
        many.map((i) => i + 1_250 < many.length),
      );
    });

    t.test('size() is exact while 4 processes write, overwrite and delete at once', async (t) => {
      const root = t.testdirName;
      const perWriter = 400;
      const writers = 4;
      const runs = Array.from({ length: writers }, (_, worker) =>
        runChild(
          `
        const stash = new HashStash({ engine: 'redis', url: input.url, root: input.root });
        const writes = [];
        for (let i = 0; i < input.perWriter; i++) {
          writes.push(stash.set('w' + input.worker + '-' + i, i));
          writes.push(stash.set('shared-' + (i % 100), input.worker));
          if (writes.length >= 64) await Promise.all(writes.splice(0));
        }
        await Promise.all(writes);
        for (let i = 0; i < input.perWriter; i += 4) writes.push(stash.delete('w' + input.worker + '-' + i));
        await Promise.all(writes);
        await stash.close();
      `,
          { url, root, worker, perWriter },
          60_000,
        ),
      );
      const results = await Promise.all(runs);
      t.strictSame(
        results.map((r) => r.code),
        results.map(() => 0),
        `every writer exited cleanly${results.map((r) => r.stderr).join('')}`,
      );
      const stash = open(t, { url, root });
      const expected = writers * (perWriter - perWriter / 4) + 100;
      t.equal(await stash.size(), expected, 'size counts every kept entry once');
      t.equal((await collect(stash.keys())).length, expected, 'and iteration agrees');
    });
  });
}

// ---- on private servers (or none): faults, and counts of the commands sent ----

t.test('a URL that is not a redis URL is a ConfigError when the stash is made', async (t) => {
  t.throws(() => new HashStash({ engine: 'redis', url: 'mongodb://127.0.0.1:27017' }), ConfigError);
  t.throws(() => new HashStash({ engine: 'redis', url: 'localhost:6379' }), ConfigError);
});

t.test('a URL where nothing listens gives EngineUnavailableError naming it, within seconds', async (t) => {
  const port = await freePort();
  const stash = open(t, { url: `redis://hashstash:sesame@127.0.0.1:${port}/0` });
  const shown = `redis://hashstash:***@127.0.0.1:${port}/0`;
  for (const [label, operation] of operations(stash)) {
    const started = performance.now();
    const error = await failure(operation);
    const ms = performance.now() - started;
    t.ok(error instanceof EngineUnavailableError, `${label} fails with EngineUnavailableError`, { got: String(error) });
    t.equal(
      (error as EngineUnavailableError).location,
      shown,
      `${label}: the location is the URL without its password`,
    );
    t.match((error as Error).message, shown, 'the message names the URL');
    t.notMatch((error as Error).message, 'sesame', 'and not the password');
    t.ok(ms < 5_000, `${label} failed after ${ms.toFixed(0)} ms`);
  }
});

t.test('a server that accepts connections but never answers gives EngineUnavailableError, not a hang', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const { port } = silent.address() as { port: number };
  const stash = open(t, { url: `redis://127.0.0.1:${port}` });
  for (const [label, operation] of operations(stash).slice(0, 3)) {
    const started = performance.now();
    const error = await failure(operation);
    const ms = performance.now() - started;
    t.ok(error instanceof EngineUnavailableError, `${label} fails with EngineUnavailableError`, { got: String(error) });
    t.match((error as Error).message, `127.0.0.1:${port}`);
    t.ok(ms < 5_000, `${label} failed after ${ms.toFixed(0)} ms`);
  }
});

t.test('on a private server', { skip: privateServerSkip('redis') }, async (t) => {
  let server: PrivateServer;
  t.before(async () => {
    server = await startRedis();
  });
  t.teardown(() => server?.dispose());

  t.test('iteration streams: it reads the hash a bounded batch at a time', async (t) => {
    const raw = rawClient(t, server.url);
    const stash = open<number, string>(t, { url: server.url, compress: 'raw' });
    const count = 20_000;
    const valueOf = (i: number) => `${i}:${'v'.repeat(2_000)}`;
    await stash.setMany(
      (function* () {
        for (let i = 0; i < count; i++) yield [i, valueOf(i)] as [number, string];
      })(),
    );
    t.equal(await stash.size(), count);

    let scans = await commandCalls(raw, 'hscan');
    let taken = 0;
    for await (const [key, value] of stash) {
      t.equal(value, valueOf(key), 'the first entries arrive whole');
      if (++taken === 3) break;
    }
    const forFirst = (await commandCalls(raw, 'hscan')) - scans;
    t.ok(forFirst <= 3, `the first entries came after ${forFirst} HSCAN calls, not a read of all ${count}`);

    scans = await commandCalls(raw, 'hscan');
    const seen = new Set<number>();
    let wrong = 0;
    for await (const [key, value] of stash) {
      if (value !== valueOf(key)) wrong++;
      seen.add(key);
    }
    const forAll = (await commandCalls(raw, 'hscan')) - scans;
    t.equal(seen.size, count, 'every entry comes');
    t.equal(wrong, 0, 'with its own value');
    t.ok(forAll >= count / 1000, `${forAll} HSCAN batches of at most ~1,000 entries`);
    const keys = await collect(stash.keys());
    t.equal(new Set(keys).size, count, 'keys() gives every key once');
  });

  t.test('large values are read a few at a time', async (t) => {
    const raw = rawClient(t, server.url);
    const stash = open<number, string>(t, { url: server.url, compress: 'raw' });
    const count = 24;
    const valueOf = (i: number) => String(i % 10).repeat(1.5 * MB);
    for (let i = 0; i < count; i++) await stash.set(i, valueOf(i));
    const scans = await commandCalls(raw, 'hscan');
    let whole = 0;
    for await (const [key, value] of stash) if (value === valueOf(key)) whole++;
    const batches = (await commandCalls(raw, 'hscan')) - scans;
    t.equal(whole, count, 'every value whole');
    t.ok(
      batches >= count / 3,
      `${batches} HSCAN batches for ${count} values of 1.5 MB: a batch holds a few MB, not all ${count * 1.5} MB`,
    );
  });
  t.test('a server stopped mid-run gives typed errors; once it is back the same stash works again', async (t) => {
    const stash = open(t, { url: server.url });
    await stash.set('before', 1);

    // A writer that goes on through the stop, until 20 of its writes have failed (or 10 s have passed).
    const outcomes: unknown[] = [];
    let failed = 0;
    const writer = (async () => {
      const until = performance.now() + 10_000;
      for (let i = 0; failed < 20 && performance.now() < until; i++) {
        const outcome = await stash.set(`w${i}`, i).then(
          () => 'stored',
          (error: unknown) => error,
        );
        outcomes.push(outcome);
        if (outcome !== 'stored') failed++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.stop();
    await writer;
    const failures = outcomes.filter((outcome) => outcome !== 'stored');
    t.ok(outcomes.includes('stored'), `${outcomes.length - failures.length} writes went through before the stop`);
    t.equal(failures.length, 20, 'writes failed after it, none hung');
    t.strictSame(
      failures.filter((error) => !(error instanceof EngineUnavailableError)).map(String),
      [],
      'every failure is an EngineUnavailableError',
    );

    for (const [label, operation] of operations(stash)) {
      const started = performance.now();
      const error = await failure(operation);
      const ms = performance.now() - started;
      t.ok(error instanceof EngineUnavailableError, `${label} while the server is down: EngineUnavailableError`, {
        got: String(error),
      });
      t.equal((error as EngineUnavailableError).location, server.url);
      t.ok(ms < 5_000, `${label} failed after ${ms.toFixed(0)} ms`);
    }

    await server.start();
    const started = performance.now();
    let back: unknown;
    do {
      back = await failure(() => stash.set('after', 2));
      if (back) await new Promise((resolve) => setTimeout(resolve, 100));
    } while (back && performance.now() - started < 10_000);
    t.equal(
      back,
      undefined,
      `the same stash object writes again ${(performance.now() - started).toFixed(0)} ms after the server is back`,
    );
    t.equal(await stash.get('after'), 2);
    t.strictSame(
      await collect(stash.keys()),
      ['after'],
      'the restarted server (which saves nothing) holds only the new entry',
    );
  });

  t.test(
    'a server that hangs mid-run: commands in flight fail after the socket timeout, later ones at once',
    async (t) => {
      const hanging = await startRedis();
      t.teardown(() => hanging.dispose());
      const raw = rawClient(t, hanging.url);
      const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))![1]);
      raw.disconnect();
      const stash = open(t, { url: hanging.url });
      await stash.set('k', 1);
      process.kill(pid, 'SIGSTOP');
      t.teardown(() => {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* already gone */
        }
      });

      let started = performance.now();
      const inFlight = await Promise.allSettled([stash.get('k'), stash.set('j', 2), stash.size()]);
      const waited = performance.now() - started;
      t.strictSame(
        inFlight.map((r) => r.status === 'rejected' && r.reason instanceof EngineUnavailableError),
        [true, true, true],
        'get, set and size in flight fail with EngineUnavailableError',
      );
      t.ok(waited < 15_000, `after ${waited.toFixed(0)} ms, not a hang`);
      started = performance.now();
      t.ok((await failure(() => stash.get('k'))) instanceof EngineUnavailableError, 'the next operation fails too');
      t.ok(performance.now() - started < 1_000, 'at once, while the server is known to be down');

      process.kill(pid, 'SIGCONT');
      started = performance.now();
      let value: unknown;
      do {
        value = await stash.get('k').catch(() => undefined);
        if (value === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      } while (value === undefined && performance.now() - started < 10_000);
      t.equal(
        value,
        1,
        `the same stash reads again ${(performance.now() - started).toFixed(0)} ms after the server resumes`,
      );
    },
  );

  t.test('stashes on one URL share one connection, which the last close() quits', async (t) => {
    const raw = rawClient(t, server.url);
    const before = await stashConnections(raw);
    t.strictSame(before, [], 'no connection before first use');
    const [a, b, c] = [
      open(t, { url: server.url }),
      open(t, { url: server.url, name: 'b' }),
      open(t, { url: server.url, name: 'c' }),
    ];
    t.strictSame(await stashConnections(raw), [], 'opening a stash connects nothing');
    await Promise.all([a.set('a', 1), b.set('b', 2), c.set('c', 3)]);
    const connected = await stashConnections(raw);
    t.equal(connected.length, 1, 'three stashes, one connection');
    await a.close();
    await b.close();
    t.strictSame(await stashConnections(raw), connected, 'closing two keeps the one the third uses');
    t.equal(await c.get('c'), 3);
    await c.close();
    t.strictSame(await stashConnections(raw), [], 'closing the last quits it');
    t.equal(await a.get('a'), 1, 'a closed stash connects again on its next use');
    t.equal((await stashConnections(raw)).length, 1);
  });

  t.test('after close() nothing keeps the process alive, even after a failure to connect', async (t) => {
    const deadPort = await freePort();
    const result = await runChild(
      `
      const live = new HashStash({ engine: 'redis', url: input.url, root: input.root });
      await live.set('k', 'v');
      console.log(await live.get('k'));
      const dead = new HashStash({ engine: 'redis', url: input.deadUrl, root: input.root });
      console.log(await dead.get('k').catch((error) => error.name));
      await live.close();
      await dead.close();
    `,
      { url: server.url, deadUrl: `redis://127.0.0.1:${deadPort}`, root: t.testdirName },
      20_000,
    );
    t.equal(result.code, 0, `the process exited by itself${result.stderr}`);
    t.strictSame(result.stdout.trim().split('\n'), ['v', 'EngineUnavailableError']);
    t.ok(result.ms < 10_000, `in ${result.ms.toFixed(0)} ms`);
  });
});

t.test(
  'a value larger than the server accepts is a typed error, and the stash goes on',
  { skip: privateServerSkip('redis') },
  async (t) => {
    const server = await startRedis({ maxBulkLen: '1mb' });
    t.teardown(() => server.dispose());
    const raw = rawClient(t, server.url);
    const stash = open(t, { url: server.url, compress: 'raw' });
    await stash.set('small', 1);
    const [connection] = await stashConnections(raw);

    const big = randomBytes(MB).toString('base64');
    const alongside = Array.from({ length: 50 }, (_, i) => stash.set(`c${i}`, i));
    const started = performance.now();
    const error = await failure(() => stash.set('big', big));
    t.ok(error instanceof UnsupportedError && error instanceof HashStashError, 'set rejects with UnsupportedError', {
      got: String(error),
    });
    t.match((error as Error).message, /accepts keys and values up to 1\.0 MB \(proto-max-bulk-len\)/);
    t.match((error as Error).message, server.url);
    t.ok(performance.now() - started < 5_000);
    await t.resolves(Promise.all(alongside), 'writes sent alongside it are kept');

    const many = await failure(() =>
      stash.setMany([
        ['m1', 1],
        ['huge', big],
        ['m2', 2],
      ]),
    );
    t.ok(many instanceof UnsupportedError, 'setMany with one too-large value rejects with UnsupportedError', {
      got: String(many),
    });
    const hugeKey = { text: big };
    t.ok((await failure(() => stash.set(hugeKey, 1))) instanceof UnsupportedError, 'so does a too-large key');
    t.equal(await stash.get(hugeKey), undefined, 'a key too large to store reads as absent');
    t.equal(await stash.has(hugeKey), false);
    t.strictSame(await stash.getMany([hugeKey, 'small']), [undefined, 1]);

    t.equal(await stash.has('big'), false, 'nothing was stored under the refused key');
    t.equal(await stash.get('small'), 1, 'the stash still works');
    t.equal(await stash.get('c49'), 49);
    await stash.set('after', 'fine');
    t.equal(await stash.get('after'), 'fine');
    t.strictSame(await stashConnections(raw), [connection], 'on the same connection: the refused value was never sent');
  },
);
