/**
 * An lmdb follower process sees a writer process's batches as they commit, each whole or not at all, while the
 * writer grows the file (and so LMDB's map) far past the size it had when the follower opened it; also a follower
 * that reads in a synchronous loop (where lmdb-js, left alone, keeps one read transaction, and so one snapshot).
 */
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { killAndWait } from '../concurrency/child.js';
import { FRESH, type FollowJob } from './batches.js';
import { followWhileWriting } from './run.js';

/** lmdb-js starts a new environment's map at 128 KB (its open.js) and doubles it as the data grows. */
const INITIAL_MAP_BYTES = 128 * 1024;

for (const mode of ['async', 'sync'] as const)
  t.test(
    `lmdb: a follower reading ${mode === 'sync' ? 'synchronously, never leaving its loop' : 'between event turns'} sees every batch whole while the writer grows the map`,
    async (t) => {
      t.setTimeout(300_000);
      const children: ChildProcess[] = [];
      t.teardown(() => Promise.all(children.map(killAndWait)));
      const job: FollowJob = { root: t.testdir(), engine: 'lmdb', batches: 30, pad: 2000, deadlineMs: 240_000, mode };
      const { follower, writer, failures } = await followWhileWriting(job, children);
      t.same(failures, [], 'both processes ended well');
      const done = writer.at(-1) as { done?: true; fileBytes?: number };
      t.ok(done.done, 'the writer stored every batch');
      // 30 batches of 900 values of 2 KB: about 55 MB, some 400 times the map the follower first opened.
      t.ok(done.fileBytes! > 200 * INITIAL_MAP_BYTES, `data.mdb grew to ${done.fileBytes} bytes`);
      t.ok(job.batches * FRESH * job.pad > 200 * INITIAL_MAP_BYTES);
      t.ok(follower, 'the follower reported');
      t.same(follower?.errors, [], 'no torn or missing batch, nothing seen going back');
      t.equal(follower?.seen, job.batches - 1, 'the follower saw the last batch');
      t.ok(follower!.reads > 1 && follower!.iterations >= 0);
    },
  );
