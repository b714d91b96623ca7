/** The engine conformance suite's tests of `compareAndSet` (see {@link Engine.compareAndSet}), run by `engineConformance`. */
import assert from 'node:assert/strict';
import type { Engine, EngineContext } from '../engines/engine.js';
import { withHeader } from '../format/header.js';

/** What each test works with (the suite's harness): fresh locations, and engines over them closed at the end. */
export interface CompareAndSetHarness {
  location(): EngineContext;
  open(location?: EngineContext): Engine;
}

type Run = (name: string, body: (h: CompareAndSetHarness) => Promise<void>) => unknown;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value).toString('utf8');
/** A blob of format version 2 that expires at `expiresAt`: what a value written with a ttl looks like. */
const expiring = (body: string, expiresAt: number): Uint8Array => withHeader(bytes(body), 0x68, 0x72, 0b01, expiresAt);

/** Registers the compare-and-set tests; each returns at once on an engine without `compareAndSet`. */
export function compareAndSetConformance(run: Run): void {
  run('compareAndSet: undefined expects nothing stored, bytes expect exactly those bytes', async (h) => {
    const engine = h.open();
    if (!engine.compareAndSet) return;
    const key = bytes('k');
    assert.equal(await engine.compareAndSet(key, undefined, bytes('one')), true, 'stores where nothing is');
    assert.equal(text(await engine.get(key)), 'one');
    assert.equal(await engine.compareAndSet(key, undefined, bytes('two')), false, 'not where something is');
    assert.equal(text(await engine.get(key)), 'one', 'a failed compareAndSet changes nothing');
    assert.equal(
      await engine.compareAndSet(key, bytes('on'), bytes('two')),
      false,
      'a prefix of the value is not the value',
    );
    assert.equal(await engine.compareAndSet(key, bytes('one!'), bytes('two')), false, 'nor a longer value');
    assert.equal(await engine.compareAndSet(key, bytes('ONE'), bytes('two')), false);
    assert.equal(await engine.compareAndSet(key, bytes('one'), bytes('two')), true, 'replaces the expected value');
    assert.equal(text(await engine.get(key)), 'two');
    assert.equal(
      await engine.compareAndSet(key, bytes('one'), bytes('three')),
      false,
      'the old value is not expected any more',
    );
    assert.equal(await engine.size(), 1);
    assert.equal(
      await engine.compareAndSet(bytes('absent'), bytes('x'), bytes('y')),
      false,
      'bytes are not expected of an absent key',
    );
    assert.equal(await engine.has(bytes('absent')), false);
  });

  run('compareAndSet: next undefined deletes, only the expected value', async (h) => {
    const engine = h.open();
    if (!engine.compareAndSet) return;
    const key = bytes('k');
    await engine.set(key, bytes('v'));
    await engine.set(bytes('other'), bytes('kept'));
    assert.equal(await engine.compareAndSet(key, bytes('w'), undefined), false, 'another value is not deleted');
    assert.equal(text(await engine.get(key)), 'v');
    assert.equal(await engine.compareAndSet(key, bytes('v'), undefined), true);
    assert.equal(await engine.get(key), undefined);
    assert.equal(await engine.has(key), false);
    assert.equal(await engine.size(), 1, 'the other key stays');
    assert.equal(await engine.compareAndSet(key, bytes('v'), undefined), false, 'nothing left to delete');
    assert.equal(await engine.compareAndSet(key, undefined, undefined), true, 'deleting nothing where nothing is');
    assert.equal(await engine.compareAndSet(key, undefined, bytes('again')), true, 'a deleted key can be set again');
    assert.equal(text(await engine.get(key)), 'again');
  });

  run('compareAndSet: an expired blob counts as nothing stored, by the context clock', async (h) => {
    let now = 1_700_000_000_000;
    const engine = h.open({ ...h.location(), now: () => now });
    if (!engine.compareAndSet) return;
    const key = bytes('k');
    const first = expiring('first', now + 1_000);
    assert.equal(await engine.compareAndSet(key, undefined, first), true);
    assert.equal(await engine.compareAndSet(key, undefined, bytes('early')), false, 'not expired yet');
    now += 999;
    assert.equal(await engine.compareAndSet(key, undefined, bytes('early')), false, 'not expired 1 ms before');
    now += 1;
    const second = expiring('second', now + 1_000);
    assert.equal(
      await engine.compareAndSet(key, undefined, second),
      true,
      'expired at its expiry: replaced as if absent',
    );
    assert.deepEqual(Buffer.from((await engine.get(key))!), Buffer.from(second));
    now += 5_000;
    assert.equal(
      await engine.compareAndSet(key, second, expiring('renewed', now + 1_000)),
      true,
      'an expired blob is still matched by its exact bytes (a holder renewing a lease nobody took)',
    );
    const never = bytes('never expires');
    assert.equal(await engine.compareAndSet(bytes('plain'), undefined, never), true);
    now += 1e12;
    assert.equal(
      await engine.compareAndSet(bytes('plain'), undefined, bytes('x')),
      false,
      'a blob without expiry never expires',
    );
  });

  run(
    'compareAndSet: concurrent callers on several engines over one location: one winner per key, no lost update',
    async (h) => {
      const at = h.location();
      const engines = Array.from({ length: 6 }, () => h.open(at));
      if (!engines[0].compareAndSet) return;
      const keys = Array.from({ length: 40 }, (_, i) => bytes(`key-${i}`));
      const results = await Promise.all(
        engines.flatMap((engine, e) =>
          keys.map(async (key) => ((await engine.compareAndSet!(key, undefined, bytes(`engine-${e}`))) ? e : -1)),
        ),
      );
      for (let k = 0; k < keys.length; k++) {
        const winners = engines.map((_, e) => results[e * keys.length + k]).filter((e) => e >= 0);
        assert.equal(winners.length, 1, `exactly one winner for key ${k}, got ${winners.length}`);
        assert.equal(text(await engines[0].get(keys[k])), `engine-${winners[0]}`, "the winner's value is stored");
      }
      // A counter incremented by compare-and-set loops from every engine loses no increment.
      const counter = bytes('counter');
      await engines[0].set(counter, bytes('0'));
      const increments = 5;
      await Promise.all(
        engines.map(async (engine) => {
          for (let i = 0; i < increments; i++) {
            for (;;) {
              const current = (await engine.get(counter))!;
              if (await engine.compareAndSet!(counter, current, bytes(String(Number(text(current)) + 1)))) break;
            }
          }
        }),
      );
      assert.equal(text(await engines[0].get(counter)), String(engines.length * increments));
    },
  );

  run('compareAndSet: long keys, every byte value, and large values', async (h) => {
    const engine = h.open();
    if (!engine.compareAndSet) return;
    const long = bytes('k'.repeat(3_000));
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const large = new Uint8Array(300_000).fill(7);
    for (const key of [long, every]) {
      assert.equal(await engine.compareAndSet(key, undefined, large), true);
      assert.equal(await engine.compareAndSet(key, undefined, every), false);
      assert.equal(await engine.compareAndSet(key, large, every), true);
      assert.deepEqual(Buffer.from((await engine.get(key))!), Buffer.from(every));
      assert.equal(await engine.compareAndSet(key, every, undefined), true);
      assert.equal(await engine.has(key), false);
    }
  });

  run('compareAndSet: the synchronous store agrees with the asynchronous one', async (h) => {
    const engine = h.open();
    const sync = engine.sync;
    if (!engine.compareAndSet || !sync) return;
    assert.equal(
      typeof sync.compareAndSet,
      'function',
      'a synchronous store offers compareAndSet when the engine does',
    );
    const key = bytes('k');
    assert.equal(sync.compareAndSet!(key, undefined, bytes('a')), true);
    assert.equal(await engine.compareAndSet(key, undefined, bytes('b')), false);
    assert.equal(await engine.compareAndSet(key, bytes('a'), bytes('b')), true);
    assert.equal(sync.compareAndSet!(key, bytes('a'), bytes('c')), false);
    assert.equal(sync.compareAndSet!(key, bytes('b'), undefined), true);
    assert.equal(sync.has(key), false);
  });

  run('compareAndSet: deleting removes every version of the key, when the engine keeps them', async (h) => {
    const engine = h.open();
    const append = engine.append;
    if (!engine.compareAndSet || !append) return;
    const key = bytes('log');
    await append.append(key, bytes('v1'));
    await append.append(key, bytes('v2'));
    assert.equal(await engine.compareAndSet(key, bytes('v2'), undefined), true);
    const left: unknown[] = [];
    for await (const version of append.versions(key)) left.push(version);
    assert.deepEqual(left, [], 'no version outlives the key');
    assert.equal(await append.append(key, bytes('again')), 1, 'numbering starts over');
  });
}
