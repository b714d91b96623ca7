/**
 * Rows another program wrote into a sqlite stash with TEXT (or a number) where hashstash writes BLOBs: every read path
 * that meets one throws DecodeError naming the key and the database file; the stash's other entries stay readable.
 */
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { DecodeError, encodeKey, HashStash } from '../../src/index.js';
import { DATABASE_FILE } from '../../src/engines/sqlite/store.js';
import { collect } from '../helpers/collect.js';

interface RawDatabase {
  prepare(sql: string): { run(...params: unknown[]): unknown };
  close(): void;
}
const RawDatabase = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => RawDatabase;

/** Runs `sql` on the stash's database through a connection of its own, as another program would. */
function writeAsAnotherProgram(stash: HashStash, sql: string, ...params: unknown[]): void {
  const db = new RawDatabase(join(stash.path, DATABASE_FILE));
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

async function failure(operation: () => unknown): Promise<unknown> {
  try {
    await operation();
  } catch (error) {
    return error;
  }
  return undefined;
}

async function expectDecodeError(t: Test, label: string, operation: () => unknown, names: RegExp, file: string) {
  const error = await failure(operation);
  t.ok(error instanceof DecodeError, `${label} fails with DecodeError`, { got: String(error) });
  t.match((error as Error)?.message, names, `${label}: the message names the key`);
  t.ok((error as Error)?.message.includes(file), `${label}: the message names the database file`);
}

function open(t: Test, options: { appendMode?: boolean } = {}): HashStash {
  const stash = new HashStash({ root: t.testdir(), engine: 'sqlite', ...options });
  t.teardown(() => stash.close());
  return stash;
}

t.test('a value stored as TEXT or as a number', async (t) => {
  for (const [label, value] of [
    ['TEXT', 'written by another program'],
    ['a number', 42],
  ] as const) {
    await t.test(label, async (t) => {
      const stash = open(t);
      await stash.set('good', { fine: true });
      writeAsAnotherProgram(stash, 'INSERT INTO entries (key, value) VALUES (?, ?)', encodeKey('bad'), value);
      const file = join(stash.path, DATABASE_FILE);
      const names = new RegExp(`key "bad" in .* is ${label}`);
      const reads: [string, () => unknown][] = [
        ['get', () => stash.get('bad')],
        ['sync get', (): unknown => stash.sync.get('bad')],
        ['getMany', () => stash.getMany(['good', 'bad'])],
        ['sync getMany', (): unknown => stash.sync.getMany(['bad'])],
        ['entries', () => collect(stash.entries())],
        ['values', () => collect(stash.values())],
        ['for await', () => collect(stash)],
        ['rawEntries', () => collect(stash.rawEntries())],
        ['sync entries', () => [...stash.sync.entries()]],
        ['records', () => stash.records()],
        ['table', () => stash.table()],
      ];
      for (const [what, read] of reads) await expectDecodeError(t, what, read, names, file);
      t.strictSame(
        (await collect(stash.keys())).sort(),
        ['bad', 'good'],
        'keys alone read no value, and both are there',
      );
      t.strictSame(await stash.get('good'), { fine: true }, 'the other entry reads as ever');
      t.equal(await stash.size(), 2);
    });
  }
});

t.test('a key stored as TEXT', async (t) => {
  const stash = open(t);
  await stash.set('good', 1);
  writeAsAnotherProgram(stash, 'INSERT INTO entries (key, value) VALUES (?, ?)', 'a text key', 'a text value');
  const file = join(stash.path, DATABASE_FILE);
  const names = /a row whose key is TEXT \("a text key"\)/;
  for (const [what, read] of [
    ['keys', () => collect(stash.keys())],
    ['rawKeys', () => collect(stash.rawKeys())],
    ['entries', () => collect(stash.entries())],
    ['values', () => collect(stash.values())],
    ['sync keys', (): unknown => [...stash.sync.keys()]],
    ['records', () => stash.records()],
    ['table', () => stash.table()],
  ] as const)
    await expectDecodeError(t, what, read, names, file);
  t.equal(await stash.get('good'), 1, 'the other entry reads as ever');
  t.equal(await stash.get('a text key'), undefined, 'a lookup never matches a TEXT key (hashstash keys are BLOBs)');
});

t.test('a version stored as TEXT in append mode', async (t) => {
  const stash = open(t, { appendMode: true });
  await stash.set('k', 'first');
  writeAsAnotherProgram(
    stash,
    'INSERT INTO versions (key, version, timestamp, value) VALUES (?, 2, 0, ?)',
    encodeKey('k'),
    'second, as TEXT',
  );
  const file = join(stash.path, DATABASE_FILE);
  const names = /key "k" in .* is TEXT/;
  await expectDecodeError(t, 'getAll', () => stash.getAll('k'), names, file);
  await expectDecodeError(t, 'records', () => stash.records(), names, file);
  t.equal(await stash.get('k'), 'first', 'the current value, a BLOB, reads as ever');
});
