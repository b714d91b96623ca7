/**
 * One sequence shared by threads and processes:
 * - 4 worker threads, and 4 processes, iterate one new sequence at once: every item right, each shard generated
 *   exactly once in all (the participants' generation counts add up to the number of shards);
 * - a process opens a complete sequence without the iterable and reads it all; one that is not complete gives a
 *   typed error;
 * - a reader gets the items of a shard another process or worker thread is still generating (its generator held at a
 *   gate, so no timing is assumed), and the rest once the gate opens;
 * - the generator SIGKILLed mid-shard: nothing of it is visible to a later reader, another takes the shard over once
 *   the lease's ttl has run out, and its pieces are removed.
 */
import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HashStash, SequenceIncompleteError, type EngineName } from '../../src/index.js';
import { itemAt } from './items.js';
import { startProcess, startThread, type Participant } from './participants.js';
import type { SequenceJob } from './sequence-child.js';

const ITEMS = 1_200;
const SHARD = 40;

async function together(t: Test, participants: Participant[]): Promise<void> {
  t.teardown(() => Promise.all(participants.map((p) => p.kill())));
  await Promise.all(participants.map((p) => p.next('ready')));
  for (const p of participants) p.go();
  const reports = await Promise.all(participants.map((p) => p.next('done')));
  t.ok(
    reports.every((r) => r.count === ITEMS),
    'every participant read every item, each checked',
  );
  const generated = reports.reduce((sum, r) => sum + r.generated!, 0);
  t.equal(
    generated,
    ITEMS / SHARD,
    `each of the ${ITEMS / SHARD} shards generated exactly once in all (${reports.map((r) => r.generated).join(' + ')})`,
  );
  t.equal(
    reports.reduce((sum, r) => sum + r.rebuilds!, 0),
    0,
    'no rebuilds',
  );
}

const job = (root: string, engine: EngineName, name: string, extra: Partial<SequenceJob> = {}): SequenceJob => ({
  mode: 'read-all',
  root,
  engine,
  name,
  items: ITEMS,
  shardLength: SHARD,
  prefetch: 1,
  workUs: 30,
  ...extra,
});

for (const engine of ['lmdb', 'sqlite', 'memory'] as EngineName[]) {
  t.test(`4 worker threads on one new sequence (${engine})`, async (t) => {
    const root = t.testdir();
    // The memory engine's arena is laid out by the first memory stash: made here, the workers share it.
    const arena = new HashStash({ root, engine });
    t.teardown(() => arena.close());
    await arena.get('nothing');
    await together(
      t,
      Array.from({ length: 4 }, () => startThread(job(root, engine, 'shared'))),
    );
  });
}

for (const engine of ['lmdb', 'sqlite', 'pairtree'] as EngineName[]) {
  t.test(`4 processes on one new sequence (${engine})`, async (t) => {
    const root = t.testdir();
    await together(
      t,
      Array.from({ length: 4 }, () => startProcess(job(root, engine, 'shared'))),
    );

    const reader = startProcess(job(root, engine, 'shared', { mode: 'read-null' }));
    t.teardown(() => reader.kill());
    t.equal((await reader.next('done')).count, ITEMS, 'another process reads it all without the iterable');
  });
}

t.test('a process without the iterable on an incomplete sequence: a typed error', async (t) => {
  const root = t.testdir();
  const stash = new HashStash({ root, engine: 'lmdb' });
  const seq = stash.sequence(
    function* () {
      for (let i = 0; i < ITEMS; i++) yield itemAt(i);
    },
    { name: 'partial', shardLength: SHARD },
  );
  await seq.at(100);
  await seq.close();
  await stash.close();
  const reader = startProcess(job(root, 'lmdb', 'partial', { mode: 'read-null' }));
  t.teardown(() => reader.kill());
  await t.rejects(reader.next('done'), /SequenceIncompleteError/);
});

const streamedCases: { engine: EngineName; start: typeof startProcess | typeof startThread; where: string }[] = [
  { engine: 'lmdb', start: startProcess, where: 'process' },
  { engine: 'sqlite', start: startProcess, where: 'process' },
  { engine: 'memory', start: startThread, where: 'worker thread' },
  { engine: 'lmdb', start: startThread, where: 'worker thread' },
];
for (const { engine, start, where } of streamedCases) {
  t.test(`readers get the items of a shard another ${where} is generating (${engine})`, async (t) => {
    const root = t.testdir();
    const gate = join(root, 'gate');
    if (engine === 'memory') {
      const arena = new HashStash({ root, engine });
      t.teardown(() => arena.close());
      await arena.get('nothing');
    }
    const generator = start({
      mode: 'gated',
      root,
      engine,
      name: 'streamed',
      items: ITEMS,
      shardLength: 200,
      gate,
      gateAfter: 25,
      index: 150,
    });
    t.teardown(() => generator.kill());
    await generator.next('started');
    const stash = new HashStash({ root, engine });
    t.teardown(() => stash.close());
    const seq = stash.sequence(
      function* () {
        for (let i = 0; i < ITEMS; i++) yield itemAt(i);
      },
      { name: 'streamed', shardLength: 200, prefetch: 0 },
    );
    t.teardown(() => seq.close());
    for (let i = 0; i < 25; i++) t.same(await seq.at(i), itemAt(i), `item ${i} while its shard is generated elsewhere`);
    const stats = await seq.stats();
    t.equal(stats.shardsOnDisk, 0, 'the shard is not stored yet');
    t.equal(stats.generated, 0, 'this process generated nothing');
    const late = seq.at(199);
    writeFileSync(gate, '');
    t.same(await late, itemAt(199), 'the rest once the generator goes on');
    t.equal((await generator.next('done')).count, 1);
    await seq.settled();
    t.equal((await seq.stats()).generated, 0, 'still nothing generated here: one generator per shard');
  });
}

t.test(
  'a generator that throws in another process: its waiters elsewhere are rejected too, nothing is stored',
  async (t) => {
    const root = t.testdir();
    const gate = join(root, 'gate');
    const generator = startProcess({
      mode: 'gated',
      root,
      engine: 'lmdb',
      name: 'broken',
      items: ITEMS,
      shardLength: 200,
      gate,
      gateAfter: 25,
      index: 150,
      throwAt: 25,
    });
    t.teardown(() => generator.kill());
    await generator.next('started');
    const stash = new HashStash({ root, engine: 'lmdb' });
    t.teardown(() => stash.close());
    await using seq = stash.sequence(
      function* () {
        for (let i = 0; i < ITEMS; i++) {
          if (i === 25) throw new Error(`source broke at ${i}`);
          yield itemAt(i);
        }
      },
      { name: 'broken', shardLength: 200, prefetch: 0 },
    );
    t.same(await seq.at(3), itemAt(3), 'an item produced before the failure');
    const waiting = [seq.at(100), seq.at(199)];
    writeFileSync(gate, '');
    await t.rejects(generator.next('done'), /source broke at 25/, 'the generating process fails');
    for (const read of waiting)
      await t.rejects(read, { message: 'source broke at 25' }, 'a waiter here, after taking the shard over');
    await seq.settled();
    t.equal((await seq.stats()).shardsOnDisk, 0, 'nothing stored');
  },
);

for (const engine of ['lmdb', 'sqlite'] as EngineName[])
  t.test(
    `the generator SIGKILLed mid-shard: nothing partial visible, taken over after the lease ttl (${engine})`,
    async (t) => {
      const root = t.testdir();
      const leaseTtl = 2_000;
      const generator = startProcess({
        mode: 'gated',
        root,
        engine,
        name: 'killed',
        items: ITEMS,
        shardLength: 200,
        gate: join(root, 'never'),
        gateAfter: 30,
        index: 150,
        leaseTtl,
      });
      t.teardown(() => generator.kill());
      await generator.next('started');
      const stash = new HashStash({ root, engine });
      t.teardown(() => stash.close());
      const follower = stash.sequence(
        function* () {
          for (let i = 0; i < ITEMS; i++) yield itemAt(i);
        },
        { name: 'killed', shardLength: 200, leaseTtl, prefetch: 0 },
      );
      t.same(await follower.at(10), itemAt(10), 'an item produced before the kill, read while the generator lives');
      await generator.kill();

      await using later = stash.sequence<ReturnType<typeof itemAt>>(null, { name: 'killed' });
      await t.rejects(later.at(10), SequenceIncompleteError, 'a later reader sees no partial shard');
      t.equal((await later.stats()).shardsOnDisk, 0);

      t.same(await follower.at(150), itemAt(150), 'the follower takes the shard over once the lease expires');
      await follower.settled();
      const stats = await follower.stats();
      t.equal(stats.generated, 1, 'generated once, by the taker');
      t.equal(stats.shardsOnDisk, 1);
      t.same(await later.at(199), itemAt(199), 'the whole shard is there for later readers');
      await follower.close();

      const raw = new HashStash({ root, engine, name: 'main/killed', compress: 'raw' });
      t.teardown(() => raw.close());
      const kinds: string[] = [];
      for await (const key of raw.rawKeys()) kinds.push((raw.decodeKey(key) as unknown[])[0] as string);
      t.notOk(
        kinds.includes('piece') || kinds.includes('gen'),
        `no generator record or piece left (${[...new Set(kinds)].join(', ')})`,
      );
    },
  );
