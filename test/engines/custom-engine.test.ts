/**
 * The engine of examples/custom-engine.ts, written outside src/ against the public API only, passes the published
 * conformance suites (the Engine contract, and every HashStash feature on it). This file runs them with node:test
 * (whose TAP output tap reads), to show that the suites need no particular runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, HashStash, registerEngine } from 'hashstash';
import { engineConformance, stashConformance } from 'hashstash/test-suite';
import { jsonFileEngine } from '../../examples/custom-engine.js';

engineConformance({ test, name: 'json-file', factory: jsonFileEngine });
// Every feature of the dictionary on it, by its registered name. Its snapshot holds every entry, so the streaming
// test gets fewer, longer values.
registerEngine('json-file', jsonFileEngine);
stashConformance({ test, engine: 'json-file', persistent: true, sync: false, onDisk: true, bigCount: 1_000 });

void test('a registered engine is usable by name, with the path and string of any stash', async () => {
  registerEngine('json-file-test', jsonFileEngine);
  registerEngine('json-file-test', jsonFileEngine); // the same factory again: nothing happens
  const root = mkdtempSync(join(tmpdir(), 'hashstash-custom-'));
  try {
    await using stash = new HashStash({ root, name: 'registered', engine: 'json-file-test' });
    await stash.set({ a: 1 }, 'one');
    assert.equal(await stash.get({ a: 1 }), 'one');
    assert.equal(stash.options.engine, 'json-file-test');
    assert.equal(stash.path, join(root, 'registered', 'json-file-test.hashstash.lz4'));
    assert.equal(stash.engine.name, 'json-file');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('a stash on a registered engine makes temporary stashes on it, and removes them', async () => {
  registerEngine('json-file-tmp', jsonFileEngine);
  const root = mkdtempSync(join(tmpdir(), 'hashstash-custom-tmp-'));
  try {
    await using stash = new HashStash({ root, name: 'parent', engine: 'json-file-tmp' });
    await stash.set('kept', 1);
    const seen = await stash.withTmp<unknown, string, number[]>(async (tmp) => {
      assert.equal(tmp.options.engine, 'json-file-tmp');
      await tmp.set('scratch', [1, 2, 3]);
      return tmp.get('scratch');
    });
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(await stash.get('kept'), 1);
    const tmp = stash.tmp();
    await tmp.set('x', 'y');
    await tmp.remove();
    await using again = new HashStash(tmp.options);
    assert.equal(await again.size(), 0, 'a removed temporary stash holds nothing');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

void test('registering a built-in name, a taken name, a bad name or a non-function is a ConfigError', () => {
  assert.throws(
    () => registerEngine('lmdb', jsonFileEngine),
    (error) => error instanceof ConfigError && /built-in engine/.test(error.message),
  );
  registerEngine('json-file-taken', jsonFileEngine);
  assert.throws(() => registerEngine('json-file-taken', (context) => jsonFileEngine(context)), ConfigError);
  assert.throws(() => registerEngine('../up', jsonFileEngine), ConfigError);
  assert.throws(() => registerEngine('', jsonFileEngine), ConfigError);
  assert.throws(() => registerEngine('fine', 'not a function' as never), ConfigError);
});

void test('an unknown engine name is still a ConfigError that lists the registered ones', () => {
  registerEngine('json-file-listed', jsonFileEngine);
  assert.throws(
    () => new HashStash({ engine: 'nope' }),
    (error) => error instanceof ConfigError && /'json-file-listed'/.test(error.message) && /'lmdb'/.test(error.message),
  );
});
