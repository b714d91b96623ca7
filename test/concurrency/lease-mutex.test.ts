/**
 * Leases exclude each other across processes (worker threads on the memory engine): four participants each take the
 * lease `counter` 20 times and, holding it, read a count, renew the lease (a compare-and-set replacing the record)
 * and write the count plus one, then release it (a compare-and-set deleting it). Two holders at once would lose an
 * increment, and a renewal or release that found the lease taken would say so.
 */
import t from 'tap';
import { HashStash, type EngineName } from '../../src/index.js';
import { serverSkip, serverUrl } from '../helpers/servers.js';
import type { MutexJob } from './coordination-child.js';
import { nextMessage, startProcess, startThread, type Racer } from './coordination-parent.js';

const PARTICIPANTS = 4;
const ROUNDS = 20;
const ENGINES: readonly EngineName[] = ['lmdb', 'pairtree', 'sqlite', 'redis', 'mongo', 'memory'];

for (const engine of ENGINES) {
  const kind = engine === 'redis' || engine === 'mongo' ? engine : undefined;
  const skip = kind ? serverSkip(kind) : false;
  const how = engine === 'memory' ? 'worker threads' : 'processes';
  t.test(`${engine}: ${PARTICIPANTS} ${how} increment a count under one lease: none lost`, { skip }, async (t) => {
    t.setTimeout(240_000);
    const participants: Racer[] = [];
    let stash: HashStash | undefined;
    t.teardown(async () => {
      await Promise.all(participants.map((participant) => participant.stop()));
      await stash?.clear().catch(() => {});
      await stash?.close();
    });
    const root = t.testdir();
    const url = kind ? serverUrl(kind) : undefined;
    stash = new HashStash({ root, engine, url });
    await stash.has('open');
    for (let racer = 0; racer < PARTICIPANTS; racer++) {
      const job: MutexJob = { kind: 'mutex', root, engine, url, racer, rounds: ROUNDS };
      participants.push(engine === 'memory' ? startThread(job) : startProcess(job));
    }
    const ready = await Promise.all(participants.map(nextMessage));
    t.strictSame(ready.filter((m) => !('ready' in m)), [], 'every participant opened the stash');
    const started = performance.now();
    for (const participant of participants) participant.go();
    const results = await Promise.all(participants.map(nextMessage));
    t.strictSame(results.filter((m) => !('finished' in m)), [], 'every participant finished');
    t.strictSame(results.flatMap((m) => ('finished' in m ? m.problems : [])), [], 'no renewal or release found the lease lost');
    t.equal(await stash.get('count'), PARTICIPANTS * ROUNDS, 'no increment was lost');
    t.pass(`${PARTICIPANTS * ROUNDS} critical sections in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  });
}
