/** The facade conformance suite, part three: `stash.stats()` (entries, bytes used and reserved, hits and misses). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SuiteConfig, SuiteTest } from './stash-support.js';

/** The engines of hashstash itself, each of which reports bytes as well as entries. */
const BUILT_IN = new Set(['memory', 'lmdb', 'sqlite', 'pairtree', 'redis', 'mongo']);
const ENTRIES = 200;
const VALUE_CHARACTERS = 1_000;

/** Registers these tests of the facade conformance suite (see `stashConformance`). */
export function statsCases(test: SuiteTest, config: SuiteConfig): void {
  const reportsBytes = BUILT_IN.has(config.engine);

  test('stats() counts entries, hits and misses, and (built-in engines) bytes used and reserved', async (h) => {
    const stash = h.open();
    const empty = await stash.stats();
    assert.equal(empty.entries, 0, 'a new stash has no entries');
    assert.equal(empty.hits, 0);
    assert.equal(empty.misses, 0);
    if (reportsBytes) {
      assert.equal(typeof empty.bytesUsed, 'number', 'bytesUsed is reported');
      assert.equal(typeof empty.bytesReserved, 'number', 'bytesReserved is reported');
    }

    // Random text: serializing and compressing keep most of its bytes.
    const value = () => randomBytes(VALUE_CHARACTERS).toString('base64').slice(0, VALUE_CHARACTERS);
    for (let i = 0; i < ENTRIES; i++) await stash.set(`key ${i}`, value());
    assert.notEqual(await stash.get('key 0'), undefined);
    assert.equal(await stash.get('absent'), undefined);
    const full = await stash.stats();
    assert.equal(full.entries, ENTRIES, 'entries counts every key');
    assert.equal(full.hits, 1, 'one read found a value');
    assert.equal(full.misses, 1, 'one read found none');
    if (reportsBytes) {
      const raw = ENTRIES * VALUE_CHARACTERS;
      assert.ok(full.bytesUsed! >= raw / 2, `bytesUsed ${full.bytesUsed} covers most of the ${raw} bytes written`);
      assert.ok(full.bytesUsed! < raw * 20, `bytesUsed ${full.bytesUsed} is of the order of the ${raw} bytes written`);
      assert.ok(full.bytesReserved! > 0, `bytesReserved ${full.bytesReserved} is more than nothing`);
      assert.ok(full.bytesUsed! > (empty.bytesUsed ?? 0), 'bytesUsed grows with the entries');
    }

    await stash.clear();
    const cleared = await stash.stats();
    assert.equal(cleared.entries, 0, 'clear leaves no entries');
    if (reportsBytes)
      assert.ok(
        cleared.bytesUsed! < full.bytesUsed!,
        `bytesUsed ${cleared.bytesUsed} shrinks after clear (was ${full.bytesUsed})`,
      );
  });
}
