/**
 * A participant of the sequence tests, as a child process (job as JSON in argv[2], messages as JSON lines on stdout,
 * 'go' on stdin) or a worker thread (job in workerData, messages posted, 'go' posted).
 * - `read-all`: opens the sequence with its iterable, waits for 'go', iterates every item checking each, reports.
 * - `read-null`: opens it without the iterable and reads every item of its stored length.
 * - `gated`: opens it with an iterable that stops after `gateAfter` items until the file `gate` exists, and reads
 *   item `index` (so it generates that shard); reports `started` once the first items were produced.
 */
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import { HashStash, type EngineName } from '../../src/index.js';
import { itemAt } from './items.js';

export interface SequenceJob {
  readonly mode: 'read-all' | 'read-null' | 'gated';
  readonly root: string;
  readonly engine: EngineName;
  readonly name: string;
  readonly items: number;
  readonly shardLength: number;
  readonly prefetch?: number;
  /** Busy work per item, in microseconds, so that participants overlap. */
  readonly workUs?: number;
  readonly gate?: string;
  readonly gateAfter?: number;
  readonly index?: number;
  readonly leaseTtl?: number;
  /** The iterable throws `source broke at <i>` when it reaches this item (after the gate, if any). */
  readonly throwAt?: number;
}

export interface SequenceReport {
  readonly type: 'ready' | 'started' | 'done' | 'error';
  readonly generated?: number;
  readonly rebuilds?: number;
  readonly count?: number;
  readonly yielded?: number;
  readonly error?: string;
}

const job: SequenceJob = isMainThread ? (JSON.parse(process.argv[2]) as SequenceJob) : (workerData as SequenceJob);
const send = (report: SequenceReport) => {
  if (isMainThread) process.stdout.write(`${JSON.stringify(report)}\n`);
  else parentPort!.postMessage(report);
};
const go = (): Promise<unknown> =>
  isMainThread ? once(createInterface({ input: process.stdin }), 'line') : once(parentPort!, 'message');

function busy(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until);
}

async function main(): Promise<void> {
  const stash = new HashStash({ root: job.root, engine: job.engine });
  let yielded = 0;
  const factory =
    job.mode === 'read-null'
      ? null
      : async function* () {
          for (let i = 0; i < job.items; i++) {
            if (job.gate !== undefined && i === job.gateAfter) {
              send({ type: 'started' });
              while (!existsSync(job.gate)) await delay(10);
            }
            if (i === job.throwAt) throw new Error(`source broke at ${i}`);
            if (job.workUs) busy(job.workUs);
            yielded++;
            yield itemAt(i);
          }
        };
  const seq = stash.sequence(factory, {
    name: job.name,
    shardLength: job.shardLength,
    prefetch: job.prefetch ?? 0,
    leaseTtl: job.leaseTtl ?? 30_000,
  });
  let count = 0;
  if (job.mode === 'gated') {
    const item = await seq.at(job.index ?? 0);
    if (item.i !== job.index) throw new Error(`item ${job.index} read as ${JSON.stringify(item)}`);
    count = 1;
  } else if (job.mode === 'read-null') {
    const length = await seq.length();
    for (let i = 0; i < length; i++) {
      const item = await seq.at(i);
      if (JSON.stringify(item) !== JSON.stringify(itemAt(i)))
        throw new Error(`item ${i} read as ${JSON.stringify(item)}`);
      count++;
    }
  } else {
    send({ type: 'ready' });
    await go();
    for await (const item of seq) {
      if (JSON.stringify(item) !== JSON.stringify(itemAt(count)))
        throw new Error(`item ${count} read as ${JSON.stringify(item)}`);
      count++;
    }
  }
  await seq.settled(); // the last shard's items are read before it is stored and counted
  const stats = await seq.stats();
  await seq.close();
  await stash.close();
  send({ type: 'done', generated: stats.generated, rebuilds: stats.rebuilds, count, yielded });
}

main().catch((error: unknown) => {
  send({
    type: 'error',
    error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error),
  });
  if (isMainThread) process.exitCode = 1;
});
