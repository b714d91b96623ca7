/**
 * A child process for the concurrent append test: opens its own append-mode stash from the options in argv[2], says
 * `ready`, waits for `go` on stdin, then appends `{ writer, n }` for n = 0..count-1 to one key and says `done`.
 */
import { createInterface } from 'node:readline';
import { HashStash, type HashStashOptions } from '../../src/index.js';

export interface AppendJob {
  options: HashStashOptions;
  key: string;
  writer: number;
  count: number;
}

const job = JSON.parse(process.argv[2]!) as AppendJob;
const stash = new HashStash({ ...job.options, appendMode: true });
// Open the storage (and connect to a server) before the start, so both writers begin appending together.
await stash.has(job.key);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const lines = createInterface({ input: process.stdin });
for await (const _ of lines) break;
for (let n = 0; n < job.count; n++) await stash.set(job.key, { writer: job.writer, n });
await stash.close();
process.stdout.write(`${JSON.stringify({ done: true })}\n`);
process.exit(0);
