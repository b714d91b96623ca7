/**
 * The facade conformance suite, part three: expiry. Every test runs on a clock of its own (the `clock` option), moved
 * by hand, so nothing waits and a busy machine changes nothing. What is checked is the facade's promise on every
 * engine: an entry whose ttl has run out is never returned by any read path, whether the engine hides expired entries
 * itself (`capabilities.hidesExpired`) or leaves it to the facade.
 */
import assert from 'node:assert/strict';
import { ConfigError, ReadOnlyError } from '../errors.js';
import type { HashStashOptions } from '../options.js';
import { collect, type AnyStash, type Harness, type SuiteConfig, type SuiteTest } from './stash-support.js';

/** A clock that moves only when told: `now()` for the `clock` option, `advance(ms)` to move it. */
export interface ManualClock {
  (): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets it to `ms`. */
  set(ms: number): void;
}

/** A clock that starts at `start` (ms since the epoch) and moves only when told. */
export function manualClock(start = 1_800_000_000_000): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

const sorted = (values: unknown[]) => values.map((value) => JSON.stringify(value)).sort();

/**
 * What every read path of `stash` says about the entries: a key → value Map by each of them, checked to agree. Each
 * read path is asked separately, so one that lets an expired entry through is named.
 */
async function everyReadPath(
  stash: AnyStash,
  config: SuiteConfig,
  candidates: readonly string[],
  label: string,
): Promise<Map<string, unknown>> {
  const byEntries = new Map((await collect(stash.entries())) as [string, unknown][]);
  const expected = sorted([...byEntries.keys()]);
  assert.deepEqual(sorted(await collect(stash.keys())), expected, `${label}: keys() agrees with entries()`);
  assert.deepEqual(
    sorted(await collect(stash.values())),
    sorted([...byEntries.values()]),
    `${label}: values() agrees with entries()`,
  );
  const raw = await collect(stash.rawEntries());
  assert.deepEqual(sorted(raw.map(([key]) => stash.decodeKey(key))), expected, `${label}: rawEntries() agrees`);
  assert.equal(await stash.size(), byEntries.size, `${label}: size() counts what entries() gives`);
  const records = await stash.records();
  assert.deepEqual(sorted(records.map((record) => record._key)), expected, `${label}: records() agrees`);
  const table = await stash.table();
  assert.equal(table.rows.length, byEntries.size, `${label}: table() has a row per live entry`);
  const many = await stash.getMany(candidates);
  for (const [i, key] of candidates.entries()) {
    const live = byEntries.has(key);
    assert.equal(await stash.has(key), live, `${label}: has(${key})`);
    assert.deepStrictEqual(
      await stash.get(key, 'absent'),
      live ? byEntries.get(key) : 'absent',
      `${label}: get(${key})`,
    );
    assert.deepStrictEqual(many[i], live ? byEntries.get(key) : undefined, `${label}: getMany, ${key}`);
    const expiresAt = await stash.expiresAt(key);
    assert.equal(expiresAt !== undefined, live, `${label}: expiresAt(${key}) is undefined exactly when it is absent`);
  }
  if (config.sync) {
    const sync = stash.sync;
    assert.deepEqual(sorted([...sync.keys()]), expected, `${label}: sync.keys()`);
    assert.deepEqual(sorted([...sync.entries()].map(([key]) => key)), expected, `${label}: sync.entries()`);
    assert.equal(sync.size(), byEntries.size, `${label}: sync.size()`);
    const syncMany = sync.getMany(candidates);
    for (const [i, key] of candidates.entries()) {
      const live = byEntries.has(key);
      assert.equal(sync.has(key), live, `${label}: sync.has(${key})`);
      assert.deepStrictEqual(
        sync.get(key, 'absent'),
        live ? byEntries.get(key) : 'absent',
        `${label}: sync.get(${key})`,
      );
      assert.deepStrictEqual(syncMany[i], live ? byEntries.get(key) : undefined, `${label}: sync.getMany, ${key}`);
      assert.equal(sync.expiresAt(key) !== undefined, live, `${label}: sync.expiresAt(${key})`);
    }
  }
  return byEntries;
}

/** A small generator of numbers from a seed (xorshift32), so the random test is the same on every run. */
function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % below;
  };
}

/** Registers these tests of the facade conformance suite (see `stashConformance`). */
export function expiryCases(test: SuiteTest, config: SuiteConfig): void {
  const openWithClock = (h: Harness, extra: Partial<HashStashOptions> = {}) => {
    const clock = manualClock();
    return { clock, stash: h.open({ clock, ...extra }) };
  };

  test('expiry: an entry written with a ttl is hidden from every read path once it expires', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-paths' });
    const start = clock();
    await stash.set('short', { v: 1 }, { ttl: 1_000 });
    await stash.set('forever', [2]);
    await stash.set('long', 'three', { ttl: '1h' });
    const keys = ['short', 'forever', 'long', 'never-set'];
    let seen = await everyReadPath(stash, config, keys, 'before expiry');
    assert.deepEqual([...seen.keys()].sort(), ['forever', 'long', 'short']);
    assert.equal(await stash.expiresAt('short'), start + 1_000);
    assert.equal(await stash.expiresAt('forever'), null, 'null: it never expires');
    assert.equal(await stash.expiresAt('long'), start + 3_600_000);
    assert.equal(await stash.expiresAt('never-set'), undefined);

    clock.advance(999);
    assert.deepStrictEqual(await stash.get('short'), { v: 1 }, 'alive 1 ms before its expiry');
    clock.advance(1);
    seen = await everyReadPath(stash, config, keys, 'at its expiry');
    assert.deepEqual([...seen.keys()].sort(), ['forever', 'long'], 'an entry expires at its expiry time, not after');
    assert.equal(await stash.pop('short', 'fallback'), 'fallback', 'pop treats an expired entry as absent');
    assert.equal(await stash.setDefault('short', 'again'), 'again', 'setDefault stores over an expired entry');
    assert.equal(await stash.get('short'), 'again');
    assert.equal(await stash.expiresAt('short'), null, 'written again without a ttl: it never expires');

    clock.advance(3_600_000);
    seen = await everyReadPath(stash, config, keys, 'after the hour');
    assert.deepEqual([...seen.keys()].sort(), ['forever', 'short']);
  });

  test('expiry: setting a key again replaces its expiry; delete of an expired key is false', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-rewrite' });
    await stash.set('k', 1, { ttl: 1_000 });
    await stash.set('k', 2);
    clock.advance(5_000);
    assert.equal(await stash.get('k'), 2, 'a write without ttl makes the entry permanent');
    await stash.set('k', 3, { ttl: 1_000 });
    await stash.set('j', 4, { ttl: 1_000 });
    clock.advance(500);
    await stash.set('k', 5, { ttl: 10_000 });
    clock.advance(600);
    assert.equal(await stash.get('k'), 5, 'the later ttl counts');
    assert.equal(await stash.get('j'), undefined);
    assert.equal(await stash.delete('j'), false, 'delete of an expired entry: nothing live was removed');
    assert.equal(await stash.has('j'), false);
    await stash.set('j', 6);
    assert.equal(await stash.get('j'), 6, 'a key whose entry expired takes writes again');
  });

  test('expiry: purgeExpired removes the expired entries and returns how many', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-purge' });
    assert.equal(await stash.purgeExpired(), 0, 'nothing to purge in an empty stash');
    await stash.setMany(
      Array.from({ length: 5 }, (_, i) => [`soon-${i}`, i] as const),
      { ttl: 1_000 },
    );
    await stash.setMany(Array.from({ length: 3 }, (_, i) => [`kept-${i}`, i] as const));
    await stash.setMany(
      Array.from({ length: 2 }, (_, i) => [`later-${i}`, i] as const),
      { ttl: 10_000 },
    );
    assert.equal(await stash.purgeExpired(), 0, 'nothing has expired yet');
    assert.equal(await stash.size(), 10);
    clock.advance(2_000);
    assert.equal(await stash.purgeExpired(), 5);
    assert.equal(await stash.purgeExpired(), 0, 'a second purge finds nothing');
    assert.equal(await stash.size(), 5);
    assert.deepEqual((await collect(stash.keys())).sort(), ['kept-0', 'kept-1', 'kept-2', 'later-0', 'later-1']);
    clock.advance(10_000);
    if (config.sync) {
      assert.equal(stash.sync.purgeExpired(), 2, 'sync.purgeExpired too');
    } else {
      assert.equal(await stash.purgeExpired(), 2);
    }
    assert.equal(await stash.size(), 3);
    const other = h.open({ name: 'expiry-purge', clock });
    assert.equal(await other.size(), 3, 'the purged entries are gone from storage, not only hidden');
  });

  test("expiry: the ttl option is the default of every write, and a write's own ttl overrides it", async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-default', ttl: '1s' });
    const start = clock();
    assert.equal(stash.toJSON().ttl, 1_000, 'toJSON shows the ttl in ms');
    assert.equal(stash.options.ttl, 1_000);
    await stash.set('default', 1);
    await stash.set('own', 2, { ttl: '1h' });
    await stash.set('undefined', 3, { ttl: undefined });
    await stash.setMany([['many', 4]]);
    await stash.setMany([['many-own', 5]], { ttl: 5_000 });
    await stash.update(new Map([['updated', 6]]), { ttl: '10s' });
    await stash.update({ updatedDefault: 7 });
    assert.equal(await stash.setDefault('setDefault', 8), 8);
    const expected: Record<string, number> = {
      default: 1_000,
      own: 3_600_000,
      undefined: 1_000,
      many: 1_000,
      'many-own': 5_000,
      updated: 10_000,
      updatedDefault: 1_000,
      setDefault: 1_000,
    };
    for (const [key, ttl] of Object.entries(expected)) assert.equal(await stash.expiresAt(key), start + ttl, key);
    if (config.sync) {
      stash.sync.set('sync', 9);
      stash.sync.set('sync-own', 10, { ttl: '2s' });
      stash.sync.setMany([['sync-many', 11]], { ttl: 3_000 });
      stash.sync.update([['sync-update', 12]], { ttl: 4_000 });
      assert.equal(stash.sync.expiresAt('sync'), start + 1_000);
      assert.equal(stash.sync.expiresAt('sync-own'), start + 2_000);
      assert.equal(stash.sync.expiresAt('sync-many'), start + 3_000);
      assert.equal(stash.sync.expiresAt('sync-update'), start + 4_000);
    }
    clock.advance(1_000);
    assert.deepEqual(
      (await collect(stash.keys())).sort(),
      ['many-own', 'own', 'updated', ...(config.sync ? ['sync-many', 'sync-own', 'sync-update'] : [])].sort(),
    );
    const sub = stash.sub('child');
    assert.equal(sub.options.ttl, 1_000, 'a sub-stash inherits the ttl');
    assert.equal(sub.options.clock, clock, 'and the clock');
    try {
      await sub.set('x', 1);
      assert.equal(await sub.expiresAt('x'), clock() + 1_000);
    } finally {
      await sub.close();
    }
  });

  test('expiry: ttl units are ms, s, m, h and d', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-units' });
    const units: [string | number, number][] = [
      [250, 250],
      ['500ms', 500],
      ['30s', 30_000],
      ['15m', 900_000],
      ['1h', 3_600_000],
      ['7d', 604_800_000],
      ['1.5h', 5_400_000],
    ];
    for (const [ttl, ms] of units) {
      await stash.set(String(ttl), ttl, { ttl: ttl as never });
      assert.equal(await stash.expiresAt(String(ttl)), clock() + ms, `ttl ${ttl}`);
    }
  });

  test('expiry: a ttl that is zero, negative, NaN, infinite or of an unknown unit is a ConfigError naming the option', async (h) => {
    const bad: unknown[] = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '0s', '-5m', '5x', 'soon', '', null, true, {}];
    for (const ttl of bad) {
      assert.throws(
        () => h.open({ ttl: ttl as never }),
        (error: unknown) => error instanceof ConfigError && /option 'ttl'/.test(error.message),
        `new HashStash({ ttl: ${String(ttl)} })`,
      );
    }
    const stash = h.open({ name: 'expiry-bad' });
    for (const ttl of bad) {
      await assert.rejects(
        stash.set('k', 1, { ttl: ttl as never }),
        (error: unknown) => error instanceof ConfigError && /set option 'ttl'/.test(error.message),
        `set with ttl ${String(ttl)}`,
      );
      await assert.rejects(
        stash.setMany([['k', 1]], { ttl: ttl as never }),
        ConfigError,
        `setMany with ttl ${String(ttl)}`,
      );
      await assert.rejects(
        stash.update({ k: 1 }, { ttl: ttl as never }),
        ConfigError,
        `update with ttl ${String(ttl)}`,
      );
      assert.throws(
        () => stash.stashed((n: number) => n, { ttl: ttl as never }),
        (error: unknown) => error instanceof ConfigError && /memo option 'ttl'/.test(error.message),
        `memo ttl ${String(ttl)}`,
      );
      assert.throws(
        () => stash.map((n: number) => n, [1], { ttl: ttl as never, precompute: false }),
        (error: unknown) => error instanceof ConfigError && /stash\.map option 'ttl'/.test(error.message),
        `map ttl ${String(ttl)}`,
      );
    }
    await assert.rejects(stash.set('k', 1, { tll: 5 } as never), ConfigError, 'an unknown write option');
    assert.equal(await stash.has('k'), false, 'nothing was stored by a refused write');
    assert.throws(
      () => h.open({ clock: 'now' as never }),
      (error: unknown) => error instanceof ConfigError && /option 'clock'/.test(error.message),
    );
    if (config.sync) assert.throws(() => stash.sync.set('k', 1, { ttl: -5 }), ConfigError, 'sync.set');
  });

  test('expiry: on a readonly stash purgeExpired and writes with a ttl throw ReadOnlyError, and reads hide expired entries', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-readonly' });
    await stash.set('k', 1, { ttl: 1_000 });
    await stash.set('kept', 2);
    const reader = h.open({ name: 'expiry-readonly', readonly: true, clock });
    await assert.rejects(reader.purgeExpired(), ReadOnlyError);
    await assert.rejects(reader.set('k', 1, { ttl: 5 }), ReadOnlyError);
    if (config.sync) assert.throws(() => reader.sync.purgeExpired(), ReadOnlyError);
    assert.equal(await reader.get('k'), 1);
    clock.advance(1_000);
    assert.equal(await reader.get('k'), undefined, 'a readonly stash hides the expired entry');
    assert.deepEqual(await collect(reader.keys()), ['kept']);
    assert.equal(await reader.expiresAt('k'), undefined);
    assert.equal(await stash.purgeExpired(), 1, 'nothing was purged by the readonly stash');
  });

  test('expiry: each stash object judges expiry by its own clock; a ttl outlives reopening', async (h) => {
    const writerClock = manualClock();
    const writer = h.open({ name: 'expiry-clocks', clock: writerClock });
    const start = writerClock();
    await writer.set('k', 'v', { ttl: 1_000 });
    const reopened = await h.reopen(writer, { name: 'expiry-clocks', clock: manualClock(start + 500) });
    assert.equal(await reopened.get('k'), 'v', 'another stash object before the expiry sees it');
    assert.equal(await reopened.expiresAt('k'), start + 1_000, "the expiry is the writer's, stored with the value");
    const late = h.open({ name: 'expiry-clocks', clock: manualClock(start + 1_000) });
    assert.equal(await late.get('k'), undefined, 'one whose clock is past the expiry does not');
    assert.deepEqual(await late.getMany(['k']), [undefined]);
    assert.deepEqual(await collect(late.entries()), []);
    assert.equal(await late.expiresAt('k'), undefined);
    if (late.engine.capabilities.hidesExpired) {
      // Without hidesExpired, `has`, `keys` and `size` of a stash object that never met an expiring entry ask the
      // engine as before (see the README's Expiry section): checked above through the paths that read values.
      assert.equal(await late.has('k'), false);
      assert.equal(await late.size(), 0);
      assert.deepEqual(await collect(late.keys()), []);
    }
  });

  test("expiry: memoized results expire after the memo's ttl and are computed again", async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-memo' });
    let calls = 0;
    const slow = stash.stashed(
      async (n: number) => {
        calls++;
        return n * 2;
      },
      { ttl: '1h' },
    );
    assert.equal(await slow(2), 4);
    assert.equal(await slow(2), 4);
    assert.equal(calls, 1, 'a hit before the ttl runs out');
    assert.equal(await slow.stash.expiresAt([2]), clock() + 3_600_000);
    clock.advance(3_600_000);
    assert.equal(await slow.stash.getFunc(2), undefined, 'the stored result has expired');
    assert.equal(await slow(2), 4);
    assert.equal(calls, 2, 'computed again once expired');
    assert.equal(await slow(2), 4);
    assert.equal(calls, 2);
    if (config.sync) {
      let syncCalls = 0;
      const fast = stash.sync.stashed(
        (n: number) => {
          syncCalls++;
          return n + 1;
        },
        { ttl: 1_000 },
      );
      assert.equal(fast(1), 2);
      assert.equal(fast(1), 2);
      clock.advance(1_000);
      assert.equal(fast(1), 2);
      assert.equal(syncCalls, 2, 'the sync memo recomputes an expired result too');
    }
    const byDefault = h.open({ name: 'expiry-memo-default', clock, ttl: 1_000 });
    let defaultCalls = 0;
    const memo = byDefault.stashed(async (n: number) => {
      defaultCalls++;
      return n;
    });
    await memo(1);
    clock.advance(1_000);
    await memo(1);
    assert.equal(defaultCalls, 2, "without a memo ttl the stash's ttl applies");
  });

  test('expiry: stash.map stores results with its ttl and computes expired ones again', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-map' });
    const square = (n: number) => n * n;
    const first = stash.map(square, [1, 2, 3], { ttl: '1m', numProc: 1, progress: false });
    assert.deepEqual(await first.all(), [1, 4, 9]);
    assert.equal(first.progress.done, 3);
    const again = stash.map(square, [1, 2, 3], { ttl: '1m', numProc: 1, progress: false });
    assert.deepEqual(await again.all(), [1, 4, 9]);
    assert.equal(again.progress.cached, 3, 'read from the stash before the ttl runs out');
    clock.advance(60_000);
    const expired = stash.map(square, [1, 2, 3, 4], { ttl: '1m', numProc: 1, progress: false });
    assert.deepEqual(await expired.all(), [1, 4, 9, 16]);
    assert.equal(expired.progress.cached, 0, 'every stored result had expired');
    assert.equal(expired.progress.done, 4);
  });

  test('expiry: append mode keeps a ttl per version, and getAll leaves expired versions out', async (h) => {
    if (!h.open().engine.capabilities.nativeAppend) return;
    const { clock, stash } = openWithClock(h, { name: 'expiry-append', appendMode: true });
    await stash.set('log', 1, { ttl: 1_000 });
    await stash.set('log', 2);
    await stash.set('log', 3, { ttl: 5_000 });
    assert.deepEqual(await stash.getAll('log'), [1, 2, 3]);
    clock.advance(1_000);
    assert.deepEqual(await stash.getAll('log'), [2, 3]);
    assert.equal(await stash.get('log'), 3);
    clock.advance(4_000);
    assert.equal(await stash.get('log'), undefined, 'the latest version expired, so the key did');
    assert.deepEqual(await stash.getAll('log'), [2]);
    assert.deepEqual(await stash.records(), [], 'records of an expired key: none');
  });

  test('expiry: random writes, deletes, purges and clock moves never bring back an expired value (seeded)', async (h) => {
    const { clock, stash } = openWithClock(h, { name: 'expiry-random' });
    const random = seeded(0x5eed);
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    /** What should be there: key → [value, expiresAt or null]. */
    const model = new Map<string, [number, number | null]>();
    const liveModel = () =>
      new Map([...model].filter(([, [, at]]) => at === null || at > clock()).map(([key, [value]]) => [key, value]));
    for (let step = 0; step < 120; step++) {
      const key = keys[random(keys.length)];
      const action = random(10);
      if (action < 5) {
        const ttl = random(3) === 0 ? undefined : 1 + random(2_000);
        await stash.set(key, step, ttl === undefined ? undefined : { ttl });
        model.set(key, [step, ttl === undefined ? null : clock() + ttl]);
      } else if (action < 6) {
        const existed = liveModel().has(key);
        assert.equal(await stash.delete(key), existed, `step ${step}: delete(${key})`);
        model.delete(key);
      } else if (action < 7) {
        const expired = [...model].filter(([, [, at]]) => at !== null && at <= clock()).map(([k]) => k);
        assert.equal(await stash.purgeExpired(), expired.length, `step ${step}: purgeExpired`);
        for (const k of expired) model.delete(k);
      } else {
        clock.advance(random(4) === 0 ? 0 : random(1_500));
      }
      if (step % 10 === 9 || step === 119) {
        const seen = await everyReadPath(stash, config, keys, `step ${step}`);
        assert.deepEqual(
          new Map([...seen].sort()),
          new Map([...liveModel()].sort()),
          `step ${step}: the live entries are the model's`,
        );
      } else {
        for (const k of keys) assert.deepStrictEqual(await stash.get(k), liveModel().get(k), `step ${step}: get(${k})`);
      }
    }
  });
}
