/**
 * One batch of the fuzz command, in a child process of run.ts so that a crash (a native codec) or a hang kills only
 * the batch. Before each input it writes the input's index to the progress file the parent named, so that the parent
 * knows which input a dead or stuck batch was running; at the end it sends its tally.
 *
 *   node dist/scripts/fuzz/batch.js '{"seed":1,"start":0,"count":20000,"maxFailures":5,"progressFile":"/tmp/…"}'
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { runFuzz } from './runner.js';

export interface BatchRequest {
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  readonly maxFailures: number;
  readonly progressFile: string;
}

const request = JSON.parse(process.argv[2]) as BatchRequest;
const progress = openSync(request.progressFile, 'r+');
const index = Buffer.alloc(8);
const tally = await runFuzz({
  ...request,
  onInput(at) {
    index.writeDoubleLE(at, 0);
    writeSync(progress, index, 0, 8, 0);
  },
});
closeSync(progress);
process.send!({ tally }, () => process.disconnect());
