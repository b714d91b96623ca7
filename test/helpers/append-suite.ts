/**
 * Append mode on one engine, through the public facade: every `set` adds a version, `get` reads the latest, `getAll`
 * gives every version oldest first, and writers appending to one key at once lose nothing and never see timestamps go
 * back as versions go up. An engine's test file calls `appendSuite(t, { engine: 'name', ... })`.
 */
import type { Test } from 'tap';
import { HashStash, type EngineName, type HashStashOptions, type VersionRecord } from '../../src/index.js';
import { runWriters } from './append-writers.js';
import { collect } from './collect.js';

export interface AppendSuiteConfig {
  engine: EngineName;
  /** Options every stash of one test starts from (a server URL, say). The root defaults to `t.testdir()`. */
  options?: (t: Test) => Partial<HashStashOptions> | Promise<Partial<HashStashOptions>>;
  /** The engine offers `stash.sync`. */
  sync: boolean;
  /** Data outlives `close()` and is shared between processes: concurrent writers are processes, else worker threads. */
  persistent: boolean;
  /** Appends per writer in the concurrent writers test (100 unless told). */
  concurrentAppends?: number;
  /**
   * For engines whose appends from one process travel on several connections, so they may land out of the order
   * they were made in: the options of each of several stashes appending together in one process (its own connection).
   */
  lanes?: (lane: number) => Partial<HashStashOptions>;
}

/** Where a version is stamped earlier than the one before it; none when versions and timestamps agree. */
function backwardSteps(records: readonly VersionRecord[]): string[] {
  return records.flatMap((record, i) => {
    const before = records[i - 1];
    return before && record.timestamp < before.timestamp
      ? [
          `version ${record.version} is stamped ${before.timestamp - record.timestamp} ms before version ${before.version}`,
        ]
      : [];
  });
}

export function appendSuite(t: Test, config: AppendSuiteConfig): void {
  async function opener(t: Test) {
    const base: HashStashOptions = { root: t.testdir(), ...(await config.options?.(t)), engine: config.engine };
    const opened: HashStash[] = [];
    t.teardown(async () => {
      await Promise.allSettled(opened.map((stash) => stash.close()));
    });
    return {
      base,
      open(extra: Partial<HashStashOptions> = {}) {
        const stash = new HashStash({ ...base, appendMode: true, ...extra });
        opened.push(stash);
        return stash;
      },
    };
  }

  t.test(`${config.engine}: append mode`, async (t) => {
    t.test('set adds a version; get reads the latest; getAll gives them all, oldest first', async (t) => {
      const { open } = await opener(t);
      const log = open();
      t.equal(log.engine.capabilities.nativeAppend, true, 'the engine says it keeps versions');
      t.strictSame(await log.getAll('k'), [], 'an absent key has no versions');
      const before = Date.now();
      await log.set('k', { goodness: 'good' });
      await log.set('k', { goodness: 'bad' });
      await log.set('k', [3]);
      const after = Date.now();
      t.strictSame(await log.get('k'), [3]);
      t.strictSame(await log.getAll('k'), [{ goodness: 'good' }, { goodness: 'bad' }, [3]]);
      const records = await log.getAll('k', { withMetadata: true });
      t.strictSame(
        records.map((r) => r.version),
        [1, 2, 3],
        'versions count from 1',
      );
      t.strictSame(
        records.map((r) => r.value as unknown),
        [{ goodness: 'good' }, { goodness: 'bad' }, [3]],
      );
      for (const record of records) {
        t.ok(
          Number.isInteger(record.timestamp) && record.timestamp >= before && record.timestamp <= after,
          `timestamp ${record.timestamp} is in milliseconds, taken during the append`,
        );
      }
      t.ok(
        records.every((r, i) => i === 0 || r.timestamp >= records[i - 1].timestamp),
        'timestamps do not go back',
      );
    });

    t.test('size, has and iteration count keys, not versions', async (t) => {
      const { open } = await opener(t);
      const log = open();
      for (let i = 0; i < 5; i++) await log.set({ key: 'a' }, i);
      await log.set('b', 'only');
      t.equal(await log.size(), 2);
      t.equal(await log.has({ key: 'a' }), true);
      const entries = await collect(log.entries());
      t.strictSame(
        entries.sort((x, y) => String(x[1]).localeCompare(String(y[1]))),
        [
          [{ key: 'a' }, 4],
          ['b', 'only'],
        ],
        'each key once, with its latest value',
      );
    });

    t.test('delete removes every version, and a new append starts again at 1', async (t) => {
      const { open } = await opener(t);
      const log = open();
      await log.set('k', 1);
      await log.set('k', 2);
      await log.set('other', 'kept');
      t.equal(await log.delete('k'), true);
      t.equal(await log.get('k'), undefined);
      t.strictSame(await log.getAll('k'), []);
      t.equal(await log.size(), 1);
      await log.set('k', 3);
      t.strictSame(
        await log.getAll('k', { withMetadata: true }).then((all) => all.map((r) => [r.version, r.value as unknown])),
        [[1, 3]],
      );
      t.strictSame(await log.getAll('other'), ['kept'], 'other keys keep their versions');
      t.equal(await log.pop('k'), 3);
      t.strictSame(await log.getAll('k'), [], 'pop removes the versions too');
    });

    t.test('clear removes the versions of every key', async (t) => {
      const { open } = await opener(t);
      const log = open();
      await log.set('a', 1);
      await log.set('a', 2);
      await log.set('b', 1);
      await log.clear();
      t.equal(await log.size(), 0);
      t.strictSame(await log.getAll('a'), []);
      t.strictSame(await log.getAll('b'), []);
      await log.set('a', 9);
      t.strictSame(await log.getAll('a', { withMetadata: true }).then((all) => all.map((r) => r.version)), [1]);
    });

    t.test(
      'a stash opened without append mode reads the latest version, and its delete removes them all',
      async (t) => {
        const { open } = await opener(t);
        const log = open();
        await log.set('k', 'first');
        await log.set('k', 'second');
        const plain = open({ appendMode: false });
        t.equal(await plain.get('k'), 'second');
        t.equal(await plain.size(), 1);
        t.strictSame(await collect(plain.keys()), ['k']);
        t.equal(await plain.delete('k'), true);
        t.strictSame(await log.getAll('k'), [], 'no version outlives a delete from a plain stash');
        await log.set('k', 'again');
        await plain.clear();
        t.strictSame(await log.getAll('k'), [], 'nor a clear from a plain stash');
      },
    );

    t.test('update, setMany and setDefault add versions', async (t) => {
      const { open } = await opener(t);
      const log = open();
      await log.update([
        ['k', 1],
        ['k', 2],
        ['j', 'x'],
      ]);
      await log.setMany(new Map([['k', 3]]));
      await log.setMany(
        (async function* () {
          yield ['k', 4] as const;
        })(),
      );
      t.strictSame(await log.getAll('k'), [1, 2, 3, 4]);
      t.equal(await log.setDefault('k', 99), 4, 'setDefault of a present key adds nothing');
      t.equal(await log.setDefault('new', 'd'), 'd');
      t.strictSame(await log.getAll('k'), [1, 2, 3, 4]);
      t.strictSame(await log.getAll('new'), ['d']);
    });

    t.test('appends started together in one process each get a version of their own', async (t) => {
      const { open } = await opener(t);
      const log = open();
      const count = 50;
      await Promise.all(Array.from({ length: count }, (_, i) => log.set('k', i)));
      const all = await log.getAll('k', { withMetadata: true });
      t.strictSame(
        all.map((r) => r.version),
        Array.from({ length: count }, (_, i) => i + 1),
      );
      t.strictSame(
        all.map((r) => r.value as unknown),
        Array.from({ length: count }, (_, i) => i),
        'every value once, numbered in the order they were made',
      );
      t.strictSame(await log.get('k'), all[count - 1].value, 'the current value is the latest version');
      t.strictSame(backwardSteps(all), [], 'each version is stamped no earlier than the one before');
    });

    t.test('many versions stream back in order', async (t) => {
      const { open } = await opener(t);
      const log = open();
      const count = 600;
      for (let i = 0; i < count; i++) await log.set('long', { i, pad: 'x'.repeat(i % 50) });
      const all = await log.getAll('long', { withMetadata: true });
      t.equal(all.length, count);
      t.ok(
        all.every((r, i) => r.version === i + 1 && (r.value as { i: number }).i === i),
        'every version, in order',
      );
      t.strictSame(await log.get('long'), { i: count - 1, pad: 'x'.repeat((count - 1) % 50) });
    });

    if (config.persistent) {
      t.test('versions outlive the stash that wrote them', async (t) => {
        const { open } = await opener(t);
        const log = open();
        await log.set('k', 1);
        await log.set('k', 2);
        await log.close();
        const again = open();
        t.strictSame(await again.getAll('k'), [1, 2]);
        await again.set('k', 3);
        t.strictSame(
          (await again.getAll('k', { withMetadata: true })).map((r) => r.version),
          [1, 2, 3],
        );
      });
    }

    if (config.sync) {
      t.test('stash.sync appends and reads versions too', async (t) => {
        const { open } = await opener(t);
        const log = open();
        log.sync.set('k', 'a');
        await log.set('k', 'b');
        log.sync.update([['k', 'c']]);
        t.equal(log.sync.get('k'), 'c');
        t.strictSame(log.sync.getAll('k'), ['a', 'b', 'c']);
        const records: VersionRecord[] = log.sync.getAll('k', { withMetadata: true });
        t.strictSame(
          records.map((r) => r.version),
          [1, 2, 3],
        );
        t.equal(log.sync.size(), 1);
        t.equal(log.sync.delete('k'), true);
        t.strictSame(log.sync.getAll('k'), []);
      });
    }

    const writerKind = config.persistent ? 'processes' : 'threads';
    const writers = [0, 1, 2];
    t.test(
      `${writers.length} ${writerKind} appending to one key at once: no version lost or shared, timestamps never go back`,
      async (t) => {
        t.setTimeout(180_000);
        const { base, open } = await opener(t);
        const count = config.concurrentAppends ?? 100;
        const key = 'shared log';
        const results = await runWriters(
          t,
          writers.map((writer) => ({ options: base, key, writer, count })),
          writerKind,
        );
        t.strictSame(
          results,
          writers.map(() => 'done'),
          'every writer finished',
        );
        const log = open();
        const all = (await log.getAll(key, { withMetadata: true })) as VersionRecord<{ writer: number; n: number }>[];
        const total = writers.length * count;
        t.equal(all.length, total, 'every append is a version');
        t.strictSame(
          all.map((r) => r.version),
          Array.from({ length: total }, (_, i) => i + 1),
          'numbers 1..N, each once',
        );
        for (const writer of writers) {
          const own = all.filter((r) => r.value.writer === writer).map((r) => r.value.n);
          t.strictSame(
            own,
            Array.from({ length: count }, (_, n) => n),
            `writer ${writer}'s versions are all there, in its order`,
          );
        }
        t.strictSame(backwardSteps(all), [], 'each version is stamped no earlier than the one before');
        t.strictSame(await log.get(key), all[all.length - 1].value, 'the current value is the latest version');
        const interleaved = all.some(
          (r, i) => i > 0 && r.value.writer !== all[i - 1].value.writer && i < all.length - 1,
        );
        t.comment(interleaved ? 'the writers interleaved' : 'the writers did not interleave this time');
      },
    );

    t.test('a version added after one stamped by a clock running ahead is stamped no earlier', async (t) => {
      const { base, open } = await opener(t);
      const key = 'skewed';
      const ahead = 60 * 60 * 1000;
      const log = open();
      await log.set(key, 'first');
      const before = Date.now();
      t.strictSame(
        await runWriters(t, [{ options: base, key, writer: 1, count: 1, clockAheadMs: ahead }], writerKind),
        ['done'],
        'a writer whose clock is an hour ahead appended',
      );
      await log.set(key, 'third');
      const all = await log.getAll(key, { withMetadata: true });
      t.strictSame(
        all.map((r) => r.version),
        [1, 2, 3],
      );
      t.ok(all[1].timestamp >= before + ahead, 'that writer stamped its version by its own clock, an hour ahead');
      t.strictSame(backwardSteps(all), [], 'the version after it, by a clock that is right, is not stamped earlier');
    });

    if (config.lanes) {
      t.test(
        'stashes on several connections of one process appending to one key at once: timestamps never go back',
        async (t) => {
          t.setTimeout(180_000);
          const { open } = await opener(t);
          const key = 'lanes';
          const count = 50;
          const lanes = [0, 1, 2, 3].map((lane) => open(config.lanes!(lane)));
          await Promise.all(
            lanes.map(async (stash, lane) => {
              for (let n = 0; n < count; n++) await stash.set(key, { lane, n });
            }),
          );
          const all = (await lanes[0].getAll(key, { withMetadata: true })) as VersionRecord<{
            lane: number;
            n: number;
          }>[];
          t.strictSame(
            all.map((r) => r.version),
            Array.from({ length: lanes.length * count }, (_, i) => i + 1),
            'numbers 1..N, each once',
          );
          for (const lane of lanes.keys()) {
            t.strictSame(
              all.filter((r) => r.value.lane === lane).map((r) => r.value.n),
              Array.from({ length: count }, (_, n) => n),
              `lane ${lane}'s versions are all there, in its order`,
            );
          }
          t.strictSame(backwardSteps(all), [], 'each version is stamped no earlier than the one before');
        },
      );
    }
  });
}
