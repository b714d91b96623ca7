import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HashStashOptions } from '../../src/index.js';
import { currentProcess, isGone } from '../../src/tmp/process-identity.js';
import { readEntries, type TmpEntry } from '../../src/tmp/registry.js';
import { sweepAbandoned } from '../../src/tmp/sweep.js';

/** A pid above the kernel's limit: no process has it. */
const DEAD_PID = 2 ** 22 + 12345;

t.test('another boot or pid namespace (another container with this host name) is never judged gone', async (t) => {
  const me = currentProcess();
  const dead = { ...me, pid: DEAD_PID };
  t.equal(isGone(dead), true, 'the same boot and namespace: checked, and gone');
  t.equal(isGone({ ...dead, bootId: 'another-boot' }), false, 'another boot id');
  t.equal(isGone({ ...dead, pidNamespace: 'pid:[1]' }), false, 'another pid namespace');
  if (me.bootId === null || me.pidNamespace === null) {
    t.pass('no boot id or pid namespace readable here', { skip: 'no /proc' });
  } else {
    t.equal(isGone({ ...dead, bootId: null }), false, 'the owner could not read its boot id: cannot check');
    t.equal(isGone({ ...dead, pidNamespace: undefined }), false, 'an entry written without a namespace: cannot check');
  }
});

function entryFor(root: string, id: string, pid: number, extra: Record<string, unknown> = {}): TmpEntry {
  const options = {
    root,
    name: `tmp/${id}`,
    engine: 'redis',
    serializer: 'hashstash',
    compress: 'raw',
    b64: false,
    appendMode: false,
    url: 'redis://sweep.invalid:1',
    ...extra,
  };
  return {
    id,
    owner: { ...currentProcess(), pid },
    createdAt: new Date().toISOString(),
    stashes: [{ options, clearThroughEngine: true }],
  };
}

function writeEntryFile(root: string, entry: TmpEntry): void {
  mkdirSync(join(root, '.tmp-registry'), { recursive: true });
  writeFileSync(join(root, '.tmp-registry', `${entry.id}.json`), JSON.stringify(entry));
}

t.test('a registry entry whose id names another pid than its owner is ignored', async (t) => {
  const root = t.testdir();
  writeEntryFile(root, entryFor(root, `${DEAD_PID}-0123456789ab`, DEAD_PID));
  writeEntryFile(root, entryFor(root, `${DEAD_PID + 1}-0123456789ab`, DEAD_PID));
  t.strictSame(
    (await readEntries(root)).map((entry) => entry.id),
    [`${DEAD_PID}-0123456789ab`],
  );
});

t.test('a sweep opens a stash with the recorded options only, whatever else the file holds', async (t) => {
  const root = t.testdir();
  const id = `${DEAD_PID}-00000000000a`;
  writeEntryFile(root, entryFor(root, id, DEAD_PID, { readonly: true, maxBytes: 1, engineObject: { name: 'x' } }));
  const opened: HashStashOptions[] = [];
  class RecordingStash {
    constructor(options: HashStashOptions) {
      opened.push(options);
    }
    async clear() {}
    async close() {}
  }
  const removed = await sweepAbandoned(
    { root, engine: 'redis', url: 'redis://sweep.invalid:1' },
    (options) => new RecordingStash(options),
  );
  t.equal(removed, 1);
  t.strictSame(Object.keys(opened[0]).sort(), [
    'appendMode',
    'b64',
    'compress',
    'engine',
    'name',
    'root',
    'serializer',
    'url',
  ]);
  t.equal(opened[0].readonly, undefined, 'readonly from the file is not passed on');
});
