/**
 * `hashstash/test-suite`: the conformance suite an engine runs on itself to prove the contract of the {@link Engine}
 * interface, whatever test runner it uses. It registers its tests through the `test(name, fn)` function you pass
 * (tap's `t.test`, node:test's `test`, vitest's `test`), asserts with `node:assert` only, and works on the engine
 * factory you would give to `registerEngine`. Every built-in engine of hashstash runs it too.
 *
 * @example
 * ```ts
 * import { test } from 'node:test';
 * import { engineConformance } from 'hashstash/test-suite';
 * engineConformance({ test, name: 'json-file', factory: (context) => new JsonFileEngine(context.path) });
 * ```
 *
 * @packageDocumentation
 * @module hashstash/test-suite
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, EngineContext, RawEntry } from '../engines/engine.js';
import { withHeader } from '../format/header.js';
import { HashStash } from '../stash.js';
import type { TestFunction } from './runner.js';
import type { EngineSuiteOptions } from './engine-options.js';
import { compareAndSetConformance } from './engine-compare-and-set.js';

export type { TestFunction };
export type { EngineSuiteOptions } from './engine-options.js';
export { stashConformance, type StashConformanceOptions } from './stash.js';
export { engineWatchConformance, type EngineWatchConformanceOptions } from './engine-watch.js';

/** What {@link engineConformance} runs on. */
export interface EngineConformanceOptions extends EngineSuiteOptions {
  /** Entries in the iteration test: enough to cross an engine's page size (2,500 unless told). */
  readonly manyEntries?: number | undefined;
}

/** What one test works with: fresh locations, and engines over them that are cleared and closed when it ends. */
interface Harness {
  /** A new location, not used by any other test. */
  location(): EngineContext;
  /** An engine over `location` (a new location when none is given), closed at the end of the test. */
  open(location?: EngineContext): Engine;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);
const sameBytes = (actual: Uint8Array | undefined, expected: Uint8Array, message?: string) => {
  assert.ok(actual instanceof Uint8Array, message ?? 'bytes come back as a Uint8Array');
  // Copied by `length` and index: lmdb's transient views report a `byteLength` past their `length`.
  assert.deepEqual(
    Buffer.from(Array.from({ length: actual.length }, (_, i) => actual[i])),
    Buffer.from(expected),
    message,
  );
};
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/**
 * Registers the conformance tests of an engine: the dictionary operations on bytes (`get`, `set`, `has`, `delete`,
 * `size`, `clear`, `getMany`, `setMany`, `keys`, `entries`), what its `capabilities` promise (the synchronous store
 * when `sync`, data that outlives `close()` when `persistent`, versions when `nativeAppend`, expired blobs left out
 * of every read and removed by `purgeExpired` when `hidesExpired`), that building one
 * touches no storage, and a round trip through `HashStash`. Every test starts on locations of its own and clears and
 * closes what it opened, also when it fails.
 *
 * @param options - The runner's test function, the engine factory, and the fields of its locations.
 */
export function engineConformance(options: EngineConformanceOptions): void {
  const { factory, manyEntries = 2_500 } = options;
  const prefix = options.name ?? 'engine';
  const run = (name: string, body: (h: Harness) => Promise<void>) =>
    options.test(`${prefix}: ${name}`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'hashstash-conformance-'));
      const id = randomBytes(6).toString('hex');
      const opened: [EngineContext, Engine][] = [];
      let locations = 0;
      const location = (): EngineContext => {
        const n = locations++;
        return {
          readonly: false,
          url: undefined,
          now: Date.now,
          ...options.context,
          path: join(folder, `stash-${n}`),
          namespace: `hashstash-conformance/${id}/stash-${n}`,
        };
      };
      const open = (at: EngineContext = location()) => {
        const engine = factory(at);
        opened.push([at, engine]);
        return engine;
      };
      try {
        await body({ location, open });
      } finally {
        for (const [, engine] of opened) await engine.close().catch(() => {});
        // Server engines (and the memory engine) keep data past close: clear each location with an engine of its own.
        const locations = new Map(opened.map(([at]) => [at.namespace, at]));
        for (const at of locations.values()) {
          const cleaner = factory(at);
          await cleaner.clear().catch(() => {});
          await cleaner.close().catch(() => {});
        }
        rmSync(folder, { recursive: true, force: true });
      }
    });

  run('name and capabilities describe the engine', async (h) => {
    const engine = h.open();
    assert.equal(typeof engine.name, 'string');
    assert.ok(engine.name.length > 0, 'the name is not empty');
    for (const flag of [
      'persistent',
      'sync',
      'sharedAcrossProcesses',
      'sharedAcrossThreads',
      'nativeAppend',
    ] as const) {
      assert.equal(typeof engine.capabilities[flag], 'boolean', `capabilities.${flag} is a boolean`);
    }
    assert.equal(engine.sync !== undefined, engine.capabilities.sync, 'sync is present exactly when capabilities.sync');
    assert.equal(
      engine.append !== undefined,
      engine.capabilities.nativeAppend,
      'append is present exactly when capabilities.nativeAppend',
    );
    assert.equal(typeof engine[Symbol.asyncDispose], 'function', 'it can be disposed with `await using`');
  });

  run('building an engine touches no storage', async (h) => {
    const at = h.location();
    h.open(at);
    assert.equal(existsSync(at.path), false, 'its folder is not made until first use');
  });

  run('set, get, has, delete and size behave like a Map of bytes', async (h) => {
    const engine = h.open();
    assert.equal(await engine.size(), 0, 'a new location is empty');
    assert.equal(await engine.get(bytes('a')), undefined, 'get of an absent key is undefined');
    assert.equal(await engine.has(bytes('a')), false);
    assert.equal(await engine.delete(bytes('a')), false, 'delete of an absent key is false');
    await engine.set(bytes('a'), bytes('one'));
    await engine.set(bytes('b'), bytes('two'));
    sameBytes(await engine.get(bytes('a')), bytes('one'));
    assert.equal(await engine.has(bytes('a')), true);
    assert.equal(await engine.size(), 2);
    await engine.set(bytes('a'), bytes('uno'));
    sameBytes(await engine.get(bytes('a')), bytes('uno'), 'set replaces');
    assert.equal(await engine.size(), 2, 'replacing keeps the size');
    assert.equal(await engine.delete(bytes('a')), true, 'delete of a present key is true');
    assert.equal(await engine.has(bytes('a')), false);
    assert.equal(await engine.get(bytes('a')), undefined);
    assert.equal(await engine.size(), 1);
    sameBytes(await engine.get(bytes('b')), bytes('two'), 'the other key is untouched');
  });

  run('keys and values are any bytes: every byte value, prefixes of each other, long ones', async (h) => {
    const engine = h.open();
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const entries: RawEntry[] = [
      [every, every.slice().reverse()],
      [Uint8Array.of(0), Uint8Array.of(1)],
      [Uint8Array.of(0, 0), Uint8Array.of(2)],
      [Uint8Array.of(255), Uint8Array.of(0)],
      [bytes('k'.repeat(600)), bytes('long key')],
      [bytes('k'.repeat(599)), bytes('one byte shorter')],
      [bytes('big value'), new Uint8Array(randomBytes(1024 * 1024))],
    ];
    for (const [key, value] of entries) await engine.set(key, value);
    assert.equal(await engine.size(), entries.length, 'no two keys were taken for one');
    for (const [key, value] of entries)
      sameBytes(await engine.get(key), value, `the value of key ${hex(key).slice(0, 16)}…`);
  });

  run('a value changed by the caller after set is not changed in storage', async (h) => {
    const engine = h.open();
    const value = bytes('before');
    await engine.set(bytes('k'), value);
    value.fill(0);
    sameBytes(await engine.get(bytes('k')), bytes('before'));
  });

  run('getMany answers in the order asked, undefined where absent', async (h) => {
    const engine = h.open();
    await engine.set(bytes('a'), bytes('1'));
    await engine.set(bytes('c'), bytes('3'));
    const got = await engine.getMany([bytes('c'), bytes('b'), bytes('a'), bytes('c')]);
    assert.deepEqual(got.map(text), ['3', undefined, '1', '3']);
    assert.deepEqual(await engine.getMany([]), [], 'no keys, no values');
  });

  run('setMany stores arrays and async iterables', async (h) => {
    const engine = h.open();
    await engine.setMany([
      [bytes('a'), bytes('1')],
      [bytes('b'), bytes('2')],
    ]);
    await engine.setMany(
      (async function* () {
        yield [bytes('c'), bytes('3')] as RawEntry;
        yield [bytes('a'), bytes('one')] as RawEntry;
      })(),
    );
    await engine.setMany([]);
    assert.equal(await engine.size(), 3);
    assert.deepEqual((await engine.getMany([bytes('a'), bytes('b'), bytes('c')])).map(text), ['one', '2', '3']);
  });

  run(`keys and entries give every entry once (${manyEntries} entries, past page sizes)`, async (h) => {
    const engine = h.open();
    const expected = new Map<string, string>();
    const batch: RawEntry[] = [];
    for (let i = 0; i < manyEntries; i++) {
      expected.set(hex(bytes(`key-${i}`)), `value-${i}`);
      batch.push([bytes(`key-${i}`), bytes(`value-${i}`)]);
    }
    await engine.setMany(batch);
    assert.equal(await engine.size(), manyEntries);
    const keys = (await collect(engine.keys())).map(hex);
    assert.equal(keys.length, manyEntries, 'keys gives each key once');
    assert.deepEqual(new Set(keys), new Set(expected.keys()));
    const entries = await collect(engine.entries());
    assert.equal(entries.length, manyEntries, 'entries gives each entry once');
    for (const [key, value] of entries) assert.equal(text(value), expected.get(hex(key)), `the value of ${text(key)}`);
  });

  run('clear empties this location and no other', async (h) => {
    const mine = h.open();
    const other = h.open();
    await mine.setMany([
      [bytes('a'), bytes('1')],
      [bytes('b'), bytes('2')],
    ]);
    await other.set(bytes('a'), bytes('kept'));
    await mine.clear();
    assert.equal(await mine.size(), 0);
    assert.equal(await mine.get(bytes('a')), undefined);
    assert.deepEqual(await collect(mine.keys()), []);
    sameBytes(await other.get(bytes('a')), bytes('kept'), 'another location keeps its entries');
    await mine.set(bytes('c'), bytes('3'));
    assert.equal(await mine.size(), 1, 'a cleared location takes writes again');
  });

  run("two engines over one location see each other's writes", async (h) => {
    const at = h.location();
    const a = h.open(at);
    const b = h.open(at);
    await a.set(bytes('x'), bytes('from a'));
    sameBytes(await b.get(bytes('x')), bytes('from a'));
    await b.delete(bytes('x'));
    assert.equal(await a.has(bytes('x')), false);
  });

  run("close resolves, also twice; a persistent engine's data outlives it", async (h) => {
    const at = h.location();
    const first = h.open(at);
    await first.set(bytes('k'), bytes('v'));
    await first.close();
    await first.close();
    const capabilities = first.capabilities;
    if (!capabilities.persistent) return;
    const second = h.open(at);
    sameBytes(await second.get(bytes('k')), bytes('v'), 'a new engine over the same location reads it');
    assert.equal(await second.size(), 1);
  });

  run('the synchronous store, when the engine has one, agrees with the asynchronous one', async (h) => {
    const engine = h.open();
    const sync = engine.sync;
    if (!engine.capabilities.sync || !sync) return;
    assert.equal(sync.size(), 0);
    sync.set(bytes('a'), bytes('1'));
    sameBytes(await engine.get(bytes('a')), bytes('1'), 'a sync write is seen by async reads');
    await engine.set(bytes('b'), bytes('2'));
    sameBytes(sync.get(bytes('b')), bytes('2'), 'an async write is seen by sync reads');
    if (sync.getTransient) sameBytes(sync.getTransient(bytes('b')), bytes('2'), 'getTransient reads the same bytes');
    assert.equal(sync.has(bytes('b')), true);
    sync.setMany([
      [bytes('c'), bytes('3')],
      [bytes('a'), bytes('one')],
    ]);
    assert.deepEqual(sync.getMany([bytes('a'), bytes('z'), bytes('c')]).map(text), ['one', undefined, '3']);
    assert.equal(sync.size(), 3);
    assert.deepEqual(new Set([...sync.keys()].map(text)), new Set(['a', 'b', 'c']));
    assert.deepEqual(
      new Map([...sync.entries()].map(([k, v]) => [text(k), text(v)])),
      new Map([
        ['a', 'one'],
        ['b', '2'],
        ['c', '3'],
      ]),
    );
    assert.equal(sync.delete(bytes('a')), true);
    assert.equal(sync.delete(bytes('a')), false);
    sync.clear();
    assert.equal(await engine.size(), 0);
  });

  run(
    'expiry, when capabilities.hidesExpired: reads skip blobs expired at context.now(), and purgeExpired removes them',
    async (h) => {
      let now = 1_800_000_000_000;
      const at: EngineContext = { ...h.location(), now: () => now };
      const engine = h.open(at);
      if (!engine.capabilities.hidesExpired) return;
      // Blobs with a format header (serializer 'h', codec 'r'): version 2 with an expiry, version 1 without.
      const blob = (body: string, expiresAt?: number) =>
        new Uint8Array(withHeader(bytes(body), 0x68, 0x72, 0, expiresAt));
      await engine.set(bytes('soon'), blob('soon', now + 1_000));
      await engine.set(bytes('never'), blob('never'));
      await engine.setMany([
        [bytes('later'), blob('later', now + 5_000)],
        [bytes('plain'), bytes('not a blob')],
      ]);
      assert.equal(await engine.size(), 4);
      sameBytes(await engine.get(bytes('soon')), blob('soon', now + 1_000), 'alive before its expiry');
      now += 1_000;
      assert.equal(await engine.get(bytes('soon')), undefined, 'get skips a blob expired at now()');
      assert.equal(await engine.has(bytes('soon')), false);
      assert.deepEqual(
        (await engine.getMany([bytes('soon'), bytes('later')])).map((v) => v !== undefined),
        [false, true],
      );
      assert.equal(await engine.size(), 3, 'size leaves it out');
      assert.deepEqual((await collect(engine.keys())).map(text).sort(), ['later', 'never', 'plain']);
      assert.deepEqual((await collect(engine.entries())).map(([key]) => text(key)).sort(), ['later', 'never', 'plain']);
      const sync = engine.sync;
      if (sync) {
        assert.equal(sync.get(bytes('soon')), undefined);
        if (sync.getTransient) assert.equal(sync.getTransient(bytes('soon')), undefined);
        assert.equal(sync.has(bytes('soon')), false);
        assert.equal(sync.size(), 3);
        assert.deepEqual([...sync.keys()].map(text).sort(), ['later', 'never', 'plain']);
      }
      if (engine.purgeExpired) {
        assert.equal(await engine.purgeExpired(), 1, 'purgeExpired removes the expired blob');
        assert.equal(await engine.purgeExpired(), 0);
        now += 5_000;
        assert.equal(sync?.purgeExpired ? sync.purgeExpired() : await engine.purgeExpired(), 1);
        assert.equal(await engine.size(), 2);
        const other = h.open({ ...at, now: () => 0 });
        assert.equal(
          await other.size(),
          2,
          'purged from storage: an engine whose clock is at 0 does not see them either',
        );
      }
    },
  );

  run('versions, when the engine keeps them: numbered from 1, oldest first, the latest is the value', async (h) => {
    const engine = h.open();
    const append = engine.append;
    if (!engine.capabilities.nativeAppend || !append) return;
    const key = bytes('log');
    const before = Date.now();
    assert.equal(await append.append(key, bytes('v1')), 1);
    assert.equal(await append.append(key, bytes('v2')), 2);
    assert.equal(await append.append(key, bytes('v3')), 3);
    sameBytes(await engine.get(key), bytes('v3'), 'get reads the latest version');
    const versions = await collect(append.versions(key));
    assert.deepEqual(
      versions.map((v) => [v.version, text(v.value)]),
      [
        [1, 'v1'],
        [2, 'v2'],
        [3, 'v3'],
      ],
    );
    for (let i = 0; i < versions.length; i++) {
      assert.ok(
        versions[i].timestamp >= before - 1000 && versions[i].timestamp <= Date.now() + 1000,
        'a timestamp of now',
      );
      if (i > 0) assert.ok(versions[i].timestamp >= versions[i - 1].timestamp, 'timestamps never go down');
    }
    await append.append(bytes('other'), bytes('o1'));
    assert.equal(await engine.size(), 2, 'size counts keys, not versions');
    assert.deepEqual(await collect(append.versions(bytes('absent'))), [], 'no versions of an absent key');
    assert.equal(await engine.delete(key), true);
    assert.deepEqual(await collect(append.versions(key)), [], 'delete removes every version');
    assert.equal(await append.append(key, bytes('again')), 1, 'and numbering starts over');
    await engine.clear();
    assert.deepEqual(await collect(append.versions(bytes('other'))), [], 'clear removes every version of every key');
  });

  run('a HashStash over the engine stores any key and value', async (h) => {
    const engine = h.open();
    const stash = new HashStash<unknown, unknown>({ engine, root: h.location().path });
    try {
      const key = { user: 'ada', tags: new Set(['x', 'y']), when: new Date(0) };
      await stash.set(key, { scores: [1, 2, 3], nested: new Map([['a', 1n]]) });
      assert.deepEqual(await stash.get({ when: new Date(0), tags: new Set(['y', 'x']), user: 'ada' }), {
        scores: [1, 2, 3],
        nested: new Map([['a', 1n]]),
      });
      assert.equal(await stash.size(), 1);
      assert.deepEqual(await collect(stash.keys()), [key]);
      assert.equal(await stash.delete(key), true);
      assert.equal(await stash.size(), 0);
    } finally {
      await stash.close();
    }
  });

  compareAndSetConformance(run);
}
