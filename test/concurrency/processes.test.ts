/**
 * Several processes writing one persistent stash at once, each opening its own `HashStash` on the compiled library,
 * while this process iterates it: no write is lost, no read is torn.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HashStash } from '../../src/index.js';
import { killAndWait } from './child.js';
import { PERSISTENT_ENGINES, readWhileWriting, verifyFinalState, WRITERS, type WriterJob } from './load.js';

const writerScript = fileURLToPath(new URL('./load-writer.js', import.meta.url));

type Reply = { ready?: true; done?: true; writer?: number };

for (const engine of PERSISTENT_ENGINES) {
  t.test(`${engine}: ${WRITERS} processes write while this one iterates`, async (t) => {
    t.setTimeout(90_000);
    // Registered before t.testdir(), so it runs before the test folder is removed.
    const children: ChildProcess[] = [];
    let stash: HashStash<string, unknown> | undefined;
    t.teardown(async () => {
      await Promise.all(children.map(killAndWait));
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
      const child = spawn(process.execPath, [writerScript, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      let done = false;
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      createInterface({ input: child.stdout }).on('line', (line) => {
        const reply = JSON.parse(line) as Reply;
        if (reply.ready && ++ready === WRITERS) everyoneReady();
        if (reply.done) done = true;
      });
      child.on('error', (error) => errors.push(`writer ${writer} could not start: ${error.message}`));
      child.on('close', (code, signal) => {
        if (!done || code !== 0)
          errors.push(`writer ${writer} ended (code ${code}, signal ${signal}) before finishing: ${stderr}`);
        if (!done) everyoneReady();
        if (++finished === WRITERS) everyoneFinished();
      });
    }

    stash = new HashStash<string, unknown>({ root, engine });
    await allReady;
    t.strictSame(errors, [], 'every writer opened the stash');
    if (errors.length) return;

    for (const child of children) child.stdin!.end('go\n');
    const reading = readWhileWriting(stash, () => finished < WRITERS);
    await allFinished;
    const report = await reading;

    t.strictSame(errors, [], 'every writer finished and exited with code 0');
    t.strictSame(
      report.problems,
      [],
      'every value read during the writes was one some writer wrote, each key once per pass',
    );
    t.ok(
      report.passes >= 1,
      `this process iterated while the writers wrote (${report.passes} passes, ${report.entriesRead} entries)`,
    );
    await verifyFinalState(t, stash);
  });
}
