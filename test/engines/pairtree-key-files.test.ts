/**
 * A pairtree entry's folder is named by the hash of its key, so a key file whose bytes hash elsewhere is corrupt:
 * every path that reads key files throws DecodeError naming the file, instead of handing back a key never written
 * paired with another key's value.
 */
import t, { type Test } from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeError, encodeKey, hashKey, HashStash } from '../../src/index.js';
import { collect } from '../helpers/collect.js';

const WRITTEN = ['k', 0];
const NEVER_WRITTEN = ['k', 1];

function keyFileOf(stash: HashStash, key: unknown): string {
  const hash = hashKey(encodeKey(key));
  return join(stash.path, hash.slice(0, 2), hash.slice(2, 4), hash.slice(4), 'key');
}

/** A stash holding WRITTEN and a neighbour, with one byte of WRITTEN's key file changed so it reads NEVER_WRITTEN. */
async function corrupted(
  t: Test,
  options: { appendMode?: boolean } = {},
): Promise<{ stash: HashStash; keyFile: string }> {
  const stash = new HashStash({ root: t.testdir(), engine: 'pairtree', ...options });
  t.teardown(() => stash.close());
  await stash.set(WRITTEN, 'the value of ["k",0]');
  await stash.set('neighbour', 'fine');
  const keyFile = keyFileOf(stash, WRITTEN);
  const bytes = readFileSync(keyFile);
  bytes[bytes.indexOf('0')] = '1'.charCodeAt(0);
  writeFileSync(keyFile, bytes);
  t.ok(bytes.equals(encodeKey(NEVER_WRITTEN)), 'the key file now holds ["k",1]');
  return { stash, keyFile };
}

async function expectDecodeError(t: Test, label: string, operation: () => unknown, keyFile: string) {
  let error: unknown;
  try {
    await operation();
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof DecodeError, `${label} fails with DecodeError`, { got: String(error) });
  t.ok((error as Error)?.message.includes(keyFile), `${label}: the message names the key file`);
  t.match(
    (error as Error)?.message,
    'holds the key ["k",1], which does not hash to that folder',
    `${label}: and what it holds`,
  );
}

t.test('every path that reads key files refuses the corrupt one', async (t) => {
  const { stash, keyFile } = await corrupted(t);
  const copy = new HashStash({ root: 'pairtree-key-files', engine: 'memory' });
  t.teardown(() => copy.close());
  for (const [label, read] of [
    ['keys', () => collect(stash.keys())],
    ['rawKeys', () => collect(stash.rawKeys())],
    ['entries', () => collect(stash.entries())],
    ['rawEntries', () => collect(stash.rawEntries())],
    ['values', () => collect(stash.values())],
    ['for await', () => collect(stash)],
    ['sync keys', (): unknown => [...stash.sync.keys()]],
    ['sync entries', () => [...stash.sync.entries()]],
    ['records', () => stash.records()],
    ['iterRecords', () => collect(stash.iterRecords())],
    ['table', () => stash.table()],
    ['update of another stash from it', () => copy.update(stash)],
  ] as const)
    await expectDecodeError(t, label, read, keyFile);
});

t.test("in append mode too, where records read each key's versions", async (t) => {
  const { stash, keyFile } = await corrupted(t, { appendMode: true });
  await expectDecodeError(t, 'records', () => stash.records({ withMetadata: true }), keyFile);
  await expectDecodeError(t, 'keys', () => collect(stash.keys()), keyFile);
});

t.test('reads by key are unaffected, and deleting the entry under its real key ends the error', async (t) => {
  const { stash } = await corrupted(t);
  t.equal(await stash.get(WRITTEN), 'the value of ["k",0]', 'the real key still reads its value (the folder names it)');
  t.equal(
    await stash.get(NEVER_WRITTEN),
    undefined,
    'the key in the corrupt file was never written and reads as absent',
  );
  t.equal(await stash.size(), 2, 'size counts the entry, whose value is there');
  t.equal(await stash.delete(WRITTEN), true);
  t.strictSame(await collect(stash.entries()), [['neighbour', 'fine']], 'the rest iterates');
});
