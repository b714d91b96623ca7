/**
 * keyEncoding 'utf8' and 'binary': keys stored byte for byte, so other programs read them (raw lmdb-js and
 * better-sqlite3 here) and key order is byte order; other keys are a SerializationError; the encoding names the
 * settings folder, so a stash never meets keys stored in another.
 */
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, HashStash, SerializationError } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { collect } from '../helpers/collect.js';

const require = createRequire(import.meta.url);
const root = () => mkdtempSync(join(tmpdir(), 'hashstash-keys-'));

t.test('utf8 keys on lmdb are plain UTF-8 to raw lmdb-js, in byte order', async (t) => {
  const stash = new HashStash({ engine: 'lmdb', root: root(), keyEncoding: 'utf8' });
  await stash.update([
    ['b', 2],
    ['a', 1],
    ['é', 3],
    ['Z', 0],
  ]);
  t.same(await collect(stash.keys()), ['Z', 'a', 'b', 'é'], 'byte order');
  t.equal(await stash.get('é'), 3);
  t.match(stash.path, /lmdb\.hashstash\.lz4\.utf8$/);
  await stash.close();
  const { open } = require('lmdb') as typeof import('lmdb');
  const db = open({ path: join(stash.path, 'data.mdb'), noSubdir: true, keyEncoding: 'binary', encoding: 'binary' });
  const keys = [...db.getKeys()].map((key) => Buffer.from(key as Uint8Array).toString('utf8'));
  t.same(keys, ['Z', 'a', 'b', 'é']);
  await db.close();
});

t.test('utf8 keys on sqlite are plain UTF-8 to raw better-sqlite3', async (t) => {
  const stash = new HashStash({ engine: 'sqlite', root: root(), keyEncoding: 'utf8' });
  await stash.set('user:1', { name: 'Ada' });
  await stash.close();
  type RawDatabase = { prepare(sql: string): { all(): unknown[] }; close(): void };
  const Database = require('better-sqlite3') as new (file: string, options: { readonly: boolean }) => RawDatabase;
  const db = new Database(join(stash.path, 'data.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT key FROM entries').all() as { key: Buffer }[];
  t.same(
    rows.map((row) => row.key.toString('utf8')),
    ['user:1'],
  );
  db.close();
});

for (const engine of ['lmdb', 'sqlite', 'memory', 'pairtree'] as const) {
  t.test(`${engine}: binary keys round-trip as bytes; other keys are refused`, async (t) => {
    await using stash = new HashStash({ engine, root: root(), keyEncoding: 'binary' });
    const key = new Uint8Array([0, 255, 1, 2]);
    await stash.set(key, 'bytes');
    t.equal(await stash.get(new Uint8Array([0, 255, 1, 2])), 'bytes');
    t.equal(await stash.get(Buffer.from([0, 255, 1, 2])), 'bytes', 'a Buffer is the same bytes');
    const stored: unknown = (await collect<unknown>(stash.keys()))[0];
    t.type(stored, Uint8Array);
    t.same([...(stored as Uint8Array)], [0, 255, 1, 2]);
    await t.rejects(stash.set('text', 1), SerializationError);
    await t.rejects(stash.set(new Uint8Array(), 1), SerializationError);
    await using utf8 = new HashStash({ engine, root: stash.options.root, keyEncoding: 'utf8' });
    await t.rejects(utf8.set(1, 1), { name: 'SerializationError', message: /'utf8'.*number/ });
    await t.rejects(utf8.get(''), SerializationError);
    t.equal(await utf8.size(), 0, 'another encoding, another stash');
  });
}

t.test('the encoding is checked, carried by options and toJSON, and sub-stashes keep canonical keys', async (t) => {
  t.throws(() => new HashStash({ root: root(), keyEncoding: 'latin1' as 'utf8' }), ConfigError);
  await using stash = new HashStash({ engine: 'memory', root: root(), keyEncoding: 'utf8' });
  t.equal(stash.options.keyEncoding, 'utf8');
  t.equal(stash.toJSON().keyEncoding, 'utf8');
  t.equal(await stash.run((n: number) => n + 1, 1), 2, 'a memo on a utf8 stash');
  t.same(await stash.map((n: number) => n * 2, [1, 2], { numProc: 1 }).all(), [2, 4]);
});

t.test('the command line opens a stash with another key encoding by its folder', async (t) => {
  const stash = new HashStash({ engine: 'lmdb', root: root(), keyEncoding: 'utf8' });
  await stash.update([
    ['b', 2],
    ['a', 1],
  ]);
  await stash.close();
  const run = await runCli(['keys', stash.path]);
  t.equal(run.code, 0, run.stderr);
  t.same(run.stdout.trim().split('\n'), ['"a"', '"b"']);
});
