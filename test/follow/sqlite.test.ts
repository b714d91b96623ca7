/**
 * A sqlite follower process sees a writer process's batches as they commit, each whole or not at all, while the
 * writer checkpoints the WAL into the database file and truncates it (`PRAGMA wal_checkpoint(TRUNCATE)`), besides the
 * checkpoints SQLite runs by itself every 1,000 pages.
 */
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { killAndWait } from '../concurrency/child.js';
import type { FollowJob } from './batches.js';
import { followWhileWriting } from './run.js';

for (const mode of ['async', 'sync'] as const)
  t.test(
    `sqlite: a follower reading ${mode === 'sync' ? 'synchronously' : 'between event turns'} sees every batch whole while the writer checkpoints the WAL`,
    async (t) => {
      t.setTimeout(300_000);
      const children: ChildProcess[] = [];
      t.teardown(() => Promise.all(children.map(killAndWait)));
      const job: FollowJob = {
        root: t.testdir(),
        engine: 'sqlite',
        batches: 30,
        pad: 2000,
        checkpointEvery: 2,
        deadlineMs: 240_000,
        mode,
      };
      const { follower, writer, failures } = await followWhileWriting(job, children);
      t.same(failures, [], 'both processes ended well');
      t.ok((writer.at(-1) as { done?: true }).done, 'the writer stored every batch');
      const checkpoints = writer.map((line) => line.checkpoint as { busy: number } | undefined).filter((c) => c);
      t.equal(checkpoints.length, job.batches / job.checkpointEvery!, 'the writer checkpointed');
      // A TRUNCATE checkpoint waits for readers (busy 1 when they kept it from finishing): some must have finished.
      t.ok(
        checkpoints.some((c) => c!.busy === 0),
        `checkpoints that finished: ${checkpoints.filter((c) => c!.busy === 0).length}`,
      );
      t.ok(follower, 'the follower reported');
      t.same(follower?.errors, [], 'no torn or missing batch, nothing seen going back');
      t.equal(follower?.seen, job.batches - 1, 'the follower saw the last batch');
    },
  );
