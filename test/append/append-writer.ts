/**
 * A writer for the concurrent append tests, run as a child process (the job in argv[2], messages as JSON lines on
 * stdio) or as a worker thread (the job in workerData, messages through parentPort): opens its own append-mode stash
 * from the job's options, says `ready`, waits for `go`, then appends `{ writer, n }` for n = 0..count-1 to one key and
 * says `done`. With `clockAheadMs` its clock reads that far ahead, as on a machine whose clock is off.
 */
import { createInterface } from 'node:readline';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { HashStash, type HashStashOptions } from '../../src/index.js';

export interface AppendJob {
  options: HashStashOptions;
  key: string;
  writer: number;
  count: number;
  clockAheadMs?: number;
}

export type WriterMessage = { ready: true } | { done: true };

interface Channel {
  send(message: WriterMessage): void;
  /** Resolves at the start signal. */
  go(): Promise<void>;
}

const processChannel: Channel = {
  send: (message) => {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  },
  async go() {
    for await (const _ of createInterface({ input: process.stdin })) return;
  },
};

const threadChannel: Channel = {
  send: (message) => parentPort!.postMessage(message),
  go: () => new Promise((resolve) => parentPort!.once('message', () => resolve())),
};

const job = (isMainThread ? JSON.parse(process.argv[2]) : workerData) as AppendJob;
const channel = isMainThread ? processChannel : threadChannel;
if (job.clockAheadMs) {
  const realNow = Date.now;
  Date.now = () => realNow() + job.clockAheadMs!;
}
const stash = new HashStash({ ...job.options, appendMode: true });
// Open the storage (and connect to a server) before the start, so the writers begin appending together.
await stash.has(job.key);
channel.send({ ready: true });
await channel.go();
for (let n = 0; n < job.count; n++) await stash.set(job.key, { writer: job.writer, n });
await stash.close();
channel.send({ done: true });
if (isMainThread) process.exit(0);
