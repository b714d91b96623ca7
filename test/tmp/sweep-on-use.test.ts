/**
 * The sweep of abandoned temporary stashes runs on a stash's first use of storage, not when it is constructed: a
 * constructed stash touches nothing in its root. Still at most once per root per process.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashStash } from '../../src/index.js';
import { currentProcess } from '../../src/tmp/process-identity.js';
import { sweepsSettled } from '../../src/tmp/sweep.js';

/** A pid above the kernel's limit: no process has it. */
const DEAD_PID = 2 ** 22 + 4321;

/** A temporary stash of a dead process on lmdb in `root`: its registry file and its folder. */
function abandon(root: string, serial: number): { entryFile: string; folder: string } {
  const id = `${DEAD_PID}-${serial.toString(16).padStart(12, '0')}`;
  const options = {
    root,
    name: `tmp/${id}`,
    engine: 'lmdb',
    serializer: 'hashstash',
    compress: 'lz4',
    b64: false,
    appendMode: false,
    url: undefined,
  };
  const entry = {
    id,
    owner: { ...currentProcess(), pid: DEAD_PID },
    createdAt: new Date().toISOString(),
    stashes: [{ options, clearThroughEngine: false }],
  };
  const folder = join(root, 'tmp', id);
  mkdirSync(join(folder, 'lmdb.hashstash.lz4'), { recursive: true });
  mkdirSync(join(root, '.tmp-registry'), { recursive: true });
  const entryFile = join(root, '.tmp-registry', `${id}.json`);
  writeFileSync(entryFile, JSON.stringify(entry));
  return { entryFile, folder };
}

function open(t: Test, root: string, readonly = false): HashStash {
  const stash = new HashStash({ root, engine: 'lmdb', readonly });
  t.teardown(() => stash.close());
  return stash;
}

const left = ({ entryFile, folder }: { entryFile: string; folder: string }) =>
  existsSync(entryFile) && existsSync(folder);

t.test('a constructed stash neither sweeps nor touches its root; its first get sweeps', async (t) => {
  const root = t.testdir();
  const abandoned = abandon(root, 1);
  const listing = readdirSync(root).sort();
  const stash = open(t, root);
  await sweepsSettled();
  t.ok(left(abandoned), 'the abandoned temporary stash is still there after construction');
  t.strictSame(readdirSync(root).sort(), listing, 'and the root is as it was');
  t.equal(await stash.get('absent'), undefined);
  await sweepsSettled();
  t.notOk(existsSync(abandoned.entryFile) || existsSync(abandoned.folder), 'the first get swept it');
});

t.test('the first set sweeps, and so does first use through the sync view', async (t) => {
  const first = t.testdir();
  const abandonedBySet = abandon(first, 2);
  await open(t, first).set('k', 1);
  await sweepsSettled();
  t.notOk(left(abandonedBySet), 'swept by the first set');

  const second = join(first, 'other-root');
  mkdirSync(second);
  const abandonedBySync = abandon(second, 3);
  const stash = open(t, second);
  await sweepsSettled();
  t.ok(left(abandonedBySync), 'not swept by construction');
  t.equal(stash.sync.get('absent'), undefined);
  await sweepsSettled();
  t.notOk(left(abandonedBySync), 'swept once the sync view was used');
});

t.test('a root is swept at most once per process, and never by a readonly stash', async (t) => {
  const root = t.testdir();
  await open(t, root).has('k');
  await sweepsSettled();
  const later = abandon(root, 4);
  await open(t, root).get('k');
  await sweepsSettled();
  t.ok(left(later), 'a second stash of the root does not sweep again');

  const readonlyRoot = join(root, 'readonly-root');
  mkdirSync(readonlyRoot);
  const untouched = abandon(readonlyRoot, 5);
  await open(t, readonlyRoot, true).get('k');
  await sweepsSettled();
  t.ok(left(untouched), 'a readonly stash reads, and never sweeps');
});
