/**
 * Several worker threads writing one persistent stash at once, each through its own `HashStash`, while the main
 * thread iterates it: no write is lost, no read is torn.
 */
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { HashStash } from '../../src/index.js';
import { PERSISTENT_ENGINES, readWhileWriting, verifyFinalState, WRITERS, type WriterJob } from './load.js';

const writerScript = new URL('./load-writer.js', import.meta.url);

type Reply = { ready?: true; done?: true; writer?: number; error?: string };

for (const engine of PERSISTENT_ENGINES) {
  t.test(`${engine}: ${WRITERS} worker threads write while the main thread iterates`, async (t) => {
    t.setTimeout(90_000);
    // Registered before t.testdir(), so it runs before the test folder is removed.
    const workers: Worker[] = [];
    let stash: HashStash<string, unknown> | undefined;
    t.teardown(async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
      await stash?.close();
    });
    const root = t.testdir();

    const errors: string[] = [];
    let ready = 0;
    let finished = 0;
    let everyoneReady!: () => void;
    let everyoneFinished!: () => void;
    const allReady = new Promise<void>((resolve) => {
      everyoneReady = resolve;
    });
    const allFinished = new Promise<void>((resolve) => {
      everyoneFinished = resolve;
    });
    for (let writer = 0; writer < WRITERS; writer++) {
      const job: WriterJob = { root, engine, writer };
      const worker = new Worker(writerScript, { workerData: job });
      workers.push(worker);
      let done = false;
      worker.on('message', (reply: Reply) => {
        if (reply.ready && ++ready === WRITERS) everyoneReady();
        if (reply.error) errors.push(`writer ${writer}: ${reply.error}`);
        if (reply.done) done = true;
      });
      worker.on('error', (error) => errors.push(`writer ${writer} crashed: ${error.stack}`));
      worker.on('exit', (code) => {
        if (!done) errors.push(`writer ${writer} exited (code ${code}) before finishing`);
        if (!done) everyoneReady();
        if (++finished === WRITERS) everyoneFinished();
      });
    }

    stash = new HashStash<string, unknown>({ root, engine });
    await allReady;
    t.strictSame(errors, [], 'every writer opened the stash');
    if (errors.length) return;

    for (const worker of workers) worker.postMessage('go');
    const reading = readWhileWriting(stash, () => finished < WRITERS);
    await allFinished;
    const report = await reading;

    t.strictSame(errors, [], 'every writer finished without error');
    t.strictSame(
      report.problems,
      [],
      'every value read during the writes was one some writer wrote, each key once per pass',
    );
    t.ok(
      report.passes >= 1,
      `the main thread iterated while the writers wrote (${report.passes} passes, ${report.entriesRead} entries)`,
    );
    await verifyFinalState(t, stash);
  });
}
