/**
 * The pairtree change log's edges: a watcher follows the log across rotations (it is renamed to `log.1` past 1 MiB)
 * without reporting a gap it did not have, and gets a change record larger than one read (a key of 400 KB) whole.
 * What a killed process leaves behind (hostile bytes, a record cut short, a registration nobody refreshes) and a log
 * rotated away unread are reported as `missed`, never as a change and never as silence.
 */
import { appendFileSync, existsSync, readdirSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import t, { type Test } from 'tap';
import { HashStash, type StashChange } from '../../src/index.js';

t.setTimeout(300_000);

async function readKeys(iterator: AsyncIterator<StashChange<string>>, count: number): Promise<StashChange<string>[]> {
  const seen: StashChange<string>[] = [];
  while (seen.length < count) {
    const next = await iterator.next();
    if (next.done) throw new Error(`the watch ended after ${seen.length} of ${count} changes`);
    seen.push(next.value);
  }
  return seen;
}

t.test('a watcher reads every change across log rotations, and reports no gap it did not have', async (t) => {
  await using stash = new HashStash<string, number>({ root: t.testdir(), engine: 'pairtree' });
  const controller = new AbortController();
  const iterator = stash.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  // Batches of ~200 KB of change records, each read before the next is written: the watcher is never more than one
  // rotation behind, so every change must arrive, in order, with no 'missed'. 16 batches: ~3 MB, three rotations.
  const padding = 'k'.repeat(1_000);
  for (let batch = 0; batch < 16; batch++) {
    const keys = Array.from({ length: 200 }, (_, i) => `${padding}-${batch}-${i}`);
    for (const key of keys) await stash.set(key, batch);
    const seen = await readKeys(iterator, keys.length);
    t.same(
      seen.map((change) => (change.type === 'set' ? change.key : change.type)),
      keys,
      `batch ${batch}: every set, in order`,
      { diagnostic: false },
    );
    if (t.passing() === false) break;
  }
  controller.abort();
});

t.test('a change record larger than one read arrives whole', async (t) => {
  await using stash = new HashStash<string, number>({ root: t.testdir(), engine: 'pairtree' });
  const controller = new AbortController();
  const iterator = stash.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  const huge = 'x'.repeat(400_000);
  await stash.set(huge, 1);
  await stash.set('after', 2);
  const [first, second] = await readKeys(iterator, 2);
  t.equal(first?.type, 'set');
  t.ok(first?.type === 'set' && first.key === huge, 'the 400 KB key, whole');
  t.same(second, { type: 'set', key: 'after' }, 'and the change after it');
  controller.abort();
});

/** The change log's folder beside a pairtree stash's (see src/engines/pairtree/changes.ts). */
const changesOf = (stash: HashStash) => `${stash.path}.changes`;

/** One record as a writer appends it: [magic][payload length][crc32][type 1 = set, the key as the stash encodes it]. */
function setRecord(key: string): Buffer {
  const payload = Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(key))]);
  const header = Buffer.alloc(12);
  header.writeUInt32LE(0x4c435348, 0);
  header.writeUInt32LE(payload.length, 4);
  header.writeUInt32LE(crc32(payload), 8);
  return Buffer.concat([header, payload]);
}

const described = (changes: StashChange<string>[]) =>
  changes.map((change) =>
    change.type === 'set' || change.type === 'delete' ? `${change.type} ${change.key}` : change.type,
  );

async function watched(t: Test) {
  const stash = new HashStash<string, number>({ root: t.testdir(), engine: 'pairtree' });
  const controller = new AbortController();
  const iterator = stash.watch({ signal: controller.signal })[Symbol.asyncIterator]();
  t.teardown(async () => {
    controller.abort();
    await stash.close();
  });
  await stash.set('first', 1);
  t.same(described(await readKeys(iterator, 1)), ['set first']);
  return { stash, iterator, log: join(changesOf(stash), 'log') };
}

t.test('hostile bytes in the change log are skipped and reported as missed, never as a change', async (t) => {
  const { stash, iterator, log } = await watched(t);
  const badCrc = setRecord('forged');
  badCrc.writeUInt32LE((badCrc.readUInt32LE(8) ^ 1) >>> 0, 8);
  appendFileSync(log, Buffer.concat([Buffer.alloc(37, 0xab), badCrc]));
  await stash.set('after', 2);
  t.same(described(await readKeys(iterator, 2)), ['missed', 'set after']);
});

t.test(
  'a record cut short by a killed writer is skipped after a while: the changes after it still arrive',
  async (t) => {
    const { stash, iterator, log } = await watched(t);
    const cut = setRecord('k'.repeat(5_000)).subarray(0, 100);
    appendFileSync(log, cut);
    await stash.set('after', 2);
    const started = Date.now();
    t.same(described(await readKeys(iterator, 2)), ['missed', 'set after']);
    t.ok(Date.now() - started >= 1_500, 'not before a live writer would have finished it');
  },
);

t.test(
  'after a rotation, a late writer of the old file is still read; a file rotated away unread is missed',
  async (t) => {
    const { stash, iterator, log } = await watched(t);
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, setRecord('late'));
    await stash.set('new', 2);
    t.same(described(await readKeys(iterator, 2)), ['set late', 'set new'], 'the old file first, then the new');

    // Rotated twice before the watcher looks: the file it was reading is gone, and what was in `log.1` it never read.
    renameSync(log, `${log}.1`);
    await stash.set('unseen', 3);
    renameSync(log, `${log}.1`);
    await stash.set('seen', 4);
    t.same(described(await readKeys(iterator, 2)), ['missed', 'set seen']);
  },
);

t.test('a watcher removes the registrations of watchers silent for a minute (killed processes)', async (t) => {
  const { stash, iterator } = await watched(t);
  const watchers = join(changesOf(stash), 'watchers');
  const stale = join(watchers, 'killed-watcher');
  writeFileSync(stale, '');
  const longAgo = (Date.now() - 120_000) / 1000;
  utimesSync(stale, longAgo, longAgo);
  const pending = iterator.next(); // polling: the heartbeat comes every 5 s
  const deadline = Date.now() + 60_000;
  while (existsSync(stale) && Date.now() < deadline) await sleep(100);
  t.notOk(existsSync(stale), 'the stale registration is removed');
  t.equal(readdirSync(watchers).length, 1, 'its own remains');
  await stash.set('after', 2);
  t.same(described([(await pending).value as StashChange<string>]), ['set after']);
});

t.test('a watcher that finds its registration gone (taken for dead) reports missed, then follows again', async (t) => {
  const { stash, iterator } = await watched(t);
  const watchers = join(changesOf(stash), 'watchers');
  for (const name of readdirSync(watchers)) unlinkSync(join(watchers, name));
  t.same(described(await readKeys(iterator, 1)), ['missed'], 'at its next heartbeat');
  t.equal(readdirSync(watchers).length, 1, 'registered again');
  await stash.set('after', 2);
  t.same(described(await readKeys(iterator, 1)), ['set after']);
});
