/**
 * Change feeds (issue 16): the published watch conformance suite on all six engines, and `stash.watch()` seeing what
 * another process (threads, for memory) writes, ending on its signal and on close().
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { engineWatchConformance } from 'hashstash/test-suite';
import type { RawChange } from '../../src/engines/engine.js';
import { engineFactory } from '../../src/engines/index.js';
import { HashStash, UnsupportedError, type StashChange } from '../../src/index.js';
import { mongoUrl, redisUrl, serverSkip } from '../helpers/servers.js';
import type { WriterJob } from '../fixtures/watch/writer.js';

t.setTimeout(600_000);

const writerUrl = new URL('../fixtures/watch/writer.js', import.meta.url);
const WAIT_MS = 60_000;

/** Runs a writer in another process (a worker thread for memory); resolves when it has finished. */
function write(job: WriterJob, thread: boolean): Promise<void> {
  if (thread) {
    const worker = new Worker(writerUrl, { workerData: job });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer thread exited with ${code}`))));
    });
  }
  const child = spawn(process.execPath, [fileURLToPath(writerUrl), JSON.stringify(job)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer process exited with ${code}`))));
  });
}

/** Reads until `done`; fails after WAIT_MS without a change. */
async function readUntil<K>(
  iterator: AsyncIterator<StashChange<K>>,
  done: (change: StashChange<K>) => boolean,
): Promise<StashChange<K>[]> {
  const seen: StashChange<K>[] = [];
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no change within ${WAIT_MS} ms: ${JSON.stringify(seen)}`)), WAIT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    if (next.done) throw new Error(`the watch ended; seen ${JSON.stringify(seen)}`);
    seen.push(next.value);
    if (done(next.value)) return seen;
  }
}

const ENGINES = [
  { engine: 'lmdb', url: undefined, skip: false },
  { engine: 'sqlite', url: undefined, skip: false },
  { engine: 'pairtree', url: undefined, skip: false },
  { engine: 'memory', url: undefined, skip: false },
  { engine: 'redis', url: redisUrl(), skip: serverSkip('redis') },
  { engine: 'mongo', url: mongoUrl(), skip: serverSkip('mongo') },
] as const;

for (const { engine, url, skip } of ENGINES) {
  t.test(`${engine}: the watch conformance suite`, { skip }, async (t) => {
    engineWatchConformance({
      test: t.test.bind(t),
      name: engine,
      factory: engineFactory(engine),
      context: url ? { url } : {},
      // A file per entry, or a round trip per batch to FerretDB: 12,000 writes take minutes there. Neither keeps a ring
      // that 12,000 would overflow (pairtree's log is a file; mongo's watcher reads as it goes), so fewer prove as much.
      ...(engine === 'pairtree' || engine === 'mongo' ? { fallBehind: 2_000 } : {}),
    });
  });

  t.test(
    `${engine}: stash.watch() sees a set, a delete and a clear made by another ${engine === 'memory' ? 'thread' : 'process'}`,
    { skip },
    async (t) => {
      const root = t.testdir();
      const options = { root, name: 'watched', engine, ...(url ? { url } : {}) };
      const stash = new HashStash<unknown, unknown>(options);
      t.teardown(async () => {
        await stash.clear().catch(() => {});
        await stash.close();
      });
      const controller = new AbortController();
      const watch = stash.watch({ signal: controller.signal });
      await watch.ready;
      const changes = watch[Symbol.asyncIterator]();
      await write(
        {
          options,
          steps: [['set', { user: 'ada' }, 1], ['delete', { user: 'ada' }], ['set', ['b', 2], 'x'], ['clear']],
        },
        engine === 'memory',
      );
      const seen = await readUntil(changes, (change) => change.type === 'clear');
      t.strictSame(
        seen,
        [
          { type: 'set', key: { user: 'ada' } },
          { type: 'delete', key: { user: 'ada' } },
          { type: 'set', key: ['b', 2] },
          { type: 'clear' },
        ],
        'the changes, in order, with the keys decoded',
      );
      controller.abort();
      t.equal((await changes.next()).done, true, 'the loop ends when the signal aborts');
    },
  );

  t.test(`${engine}: a loop over stash.watch() ends on stash.close()`, { skip }, async (t) => {
    const stash = new HashStash({ root: t.testdir(), name: 'closing', engine, ...(url ? { url } : {}) });
    const watch = stash.watch();
    await watch.ready;
    const loop = (async () => {
      let count = 0;
      for await (const _ of watch) count++;
      return count;
    })();
    await stash.set('k', 1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stash.clear();
    await stash.close();
    t.ok((await loop) >= 0, 'the loop finished');
  });
}

t.test('an engine without a change feed: UnsupportedError naming it', async (t) => {
  const base = engineFactory('memory')({
    path: `${t.testdirName}/x`,
    namespace: 'x',
    readonly: false,
    url: undefined,
    now: Date.now,
  });
  // The memory engine without its watch, under another name.
  const engine = new Proxy(base, {
    get(target, property) {
      if (property === 'watch') return undefined;
      if (property === 'name') return 'plain';
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: never[]) => unknown).bind(target) : value;
    },
  });
  const stash = new HashStash({ engine, root: t.testdir() });
  t.throws(() => stash.watch(), UnsupportedError);
  t.throws(() => stash.watch(), /plain/);
  t.throws(() => stash.watch({ signal: 'no' } as never), /signal/);
  t.throws(() => stash.watch({ singal: undefined } as never), /singal/);
  await stash.close();
});

t.test(
  'pairtree: a torn log record (a writer killed mid-write) is skipped as missed, and holds up nothing after it',
  async (t) => {
    const { ChangeLog, PAIRTREE_CHANGE } = await import('../../src/engines/pairtree/changes.js');
    const path = `${t.testdir()}/stash`;
    const engine = engineFactory('pairtree')({
      path,
      namespace: 'torn',
      readonly: false,
      url: undefined,
      now: Date.now,
    });
    t.teardown(() => engine.close());
    const changes = engine.watch!({})[Symbol.asyncIterator]();
    const log = new ChangeLog(path);
    log.log(PAIRTREE_CHANGE.set, Buffer.from('before'));
    // The start of a record that claims 100 bytes of payload and got 2: 'HSCL', length 100, a crc, then the writer died.
    appendFileSync(`${path}.changes/log`, Buffer.from([0x48, 0x53, 0x43, 0x4c, 100, 0, 0, 0, 1, 2, 3, 4, 1, 0x41]));
    log.log(PAIRTREE_CHANGE.set, Buffer.from('after'));
    const seen: string[] = [];
    for (;;) {
      const value = (await changes.next()).value as RawChange | undefined;
      seen.push(value!.type === 'set' ? `set ${Buffer.from(value!.key).toString()}` : value!.type);
      if (seen.at(-1) === 'set after') break;
    }
    t.strictSame(seen, ['set before', 'missed', 'set after']);
    await changes.return?.();
  },
);

t.test('pairtree: a watcher follows the log across a rotation and misses nothing', async (t) => {
  const { ChangeLog, PAIRTREE_CHANGE } = await import('../../src/engines/pairtree/changes.js');
  const path = `${t.testdir()}/stash`;
  const engine = engineFactory('pairtree')({
    path,
    namespace: 'rotation',
    readonly: false,
    url: undefined,
    now: Date.now,
  });
  t.teardown(() => engine.close());
  const changes = engine.watch!({})[Symbol.asyncIterator]();
  const log = new ChangeLog(path);
  // ~22 bytes a record: past the 1 MB rotation while the watcher does not read.
  const count = 60_000;
  for (let i = 0; i < count; i++) log.log(PAIRTREE_CHANGE.set, Buffer.from(`key-${i}`));
  t.ok(existsSync(`${path}.changes/log.1`), 'the log was rotated');
  let sets = 0;
  let missed = 0;
  for (;;) {
    const value = (await changes.next()).value as RawChange | undefined;
    if (value!.type === 'missed') missed++;
    if (value!.type !== 'set') continue;
    const key = Buffer.from(value!.key).toString();
    if (key !== `key-${sets}`) {
      t.fail(`change ${sets} is ${key}: out of order`);
      break;
    }
    if (++sets === count) break;
  }
  t.equal(missed, 0, 'nothing missed');
  t.equal(sets, count, 'every change');
  await changes.return?.();
});
