/**
 * What a readonly sqlite stash leaves on disk: the folder as it found it, whenever SQLite can clean up after itself.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { HashStash, ReadOnlyError } from '../../src/index.js';
import { DATABASE_FILE } from '../../src/engines/sqlite/store.js';
import { collect } from '../helpers/collect.js';
import { killAndWait } from '../concurrency/child.js';
import { chattrUnsupported, immutable } from '../helpers/immutable.js';

const indexUrl = new URL('../../src/index.js', import.meta.url).href;

const filesIn = (folder: string) => readdirSync(folder).sort();

/** A written and closed stash: its folder holds only the database file. */
async function writtenStash(t: Test): Promise<{ root: string; path: string }> {
  const root = t.testdir();
  const writer = new HashStash({ root, engine: 'sqlite' });
  await writer.setMany([
    ['a', 1],
    ['b', { nested: [2] }],
  ]);
  await writer.close();
  return { root, path: writer.path };
}

function openReader(t: Test, root: string): HashStash {
  const reader = new HashStash({ root, engine: 'sqlite', readonly: true });
  t.teardown(() => reader.close());
  return reader;
}

t.test('reading a closed stash and closing leaves its folder and database file as they were', async (t) => {
  const { root, path } = await writtenStash(t);
  const before = filesIn(path);
  t.strictSame(before, [DATABASE_FILE], 'the writer left the database file alone');
  const bytes = readFileSync(join(path, DATABASE_FILE));

  const reader = openReader(t, root);
  t.equal(await reader.get('a'), 1);
  t.strictSame(await reader.getMany(['a', 'b', 'c']), [1, { nested: [2] }, undefined]);
  t.equal((reader.sync.get('b') as { nested: number[] }).nested[0], 2);
  t.equal(await reader.has('b'), true);
  t.equal(await reader.size(), 2);
  t.strictSame((await collect(reader.keys())).sort(), ['a', 'b']);
  await t.rejects(reader.set('c', 3), ReadOnlyError, 'writes are refused');
  await reader.close();

  t.strictSame(filesIn(path), before, 'no file was left beside the database');
  t.ok(readFileSync(join(path, DATABASE_FILE)).equals(bytes), 'the database file is byte for byte the same');
});

t.test("beside an open writer, the reader sees its commits and leaves the writer's files to it", async (t) => {
  const { root, path } = await writtenStash(t);
  const reader = openReader(t, root);
  t.equal(await reader.get('a'), 1);
  const writer = new HashStash({ root, engine: 'sqlite' });
  t.teardown(() => writer.close());
  await writer.set('c', 'from the writer');
  const withWriter = filesIn(path);
  t.equal(await reader.get('c'), 'from the writer', 'the reader sees what the writer committed');

  await reader.close();
  t.strictSame(filesIn(path), withWriter, 'closing the reader first removes nothing the writer uses');
  t.equal(await writer.get('a'), 1, 'the writer goes on');
  await writer.close();
  t.strictSame(filesIn(path), [DATABASE_FILE], 'the writer, last to close, cleans up as ever');
});

t.test('a reader that closes after the writer removes the files and loses nothing', async (t) => {
  const { root, path } = await writtenStash(t);
  const reader = openReader(t, root);
  t.equal(await reader.size(), 2);
  const writer = new HashStash({ root, engine: 'sqlite' });
  await writer.setMany(Array.from({ length: 500 }, (_, i) => [`w${i}`, i] as [string, number]));
  await writer.close();
  t.equal(await reader.size(), 502, 'the reader sees every write');
  await reader.close();
  t.strictSame(filesIn(path), [DATABASE_FILE], 'the reader, last to close, removed the -wal and -shm files');

  const again = openReader(t, root);
  t.equal(await again.size(), 502, 'every entry is in the database file');
  t.equal(await again.get('w499'), 499);
});

t.test('after a writer was killed mid-run, a reader reads every commit it made', async (t) => {
  const root = t.testdir();
  const writer = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const { HashStash } = await import(${JSON.stringify(indexUrl)});
    const stash = new HashStash({ root: ${JSON.stringify(root)}, engine: 'sqlite' });
    for (let i = 0; i < 300; i++) stash.sync.set('k' + i, i);
    console.log('written');
    setInterval(() => {}, 1000);
  `,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => killAndWait(writer));
  const { value } = (await createInterface({ input: writer.stdout })[Symbol.asyncIterator]().next()) as {
    value: unknown;
  };
  t.equal(value, 'written');
  await killAndWait(writer);
  const reader = openReader(t, root);
  t.ok(filesIn(reader.path).includes(`${DATABASE_FILE}-wal`), 'the killed writer left its WAL behind');
  t.equal(await reader.size(), 300, 'the reader sees every commit of the killed writer');
  t.equal(await reader.get('k299'), 299);
  await reader.close();
  const again = openReader(t, root);
  t.equal(await again.size(), 300, 'and they are all still there after it closed');
});

// The attribute is cleared in `finally`, before teardown: nothing, not even tap's cleanup, can remove an immutable file.
t.test('a database file the process may not write still reads', { skip: chattrUnsupported() }, async (t) => {
  const { root, path } = await writtenStash(t);
  const file = join(path, DATABASE_FILE);
  immutable(file, true);
  try {
    const reader = openReader(t, root);
    t.strictSame(await reader.getMany(['a', 'b']), [1, { nested: [2] }]);
    await reader.close();
  } finally {
    immutable(file, false);
  }
});
