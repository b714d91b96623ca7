/**
 * A process running one sweep over the grid x = 0..points-1, for the process tests: each call busy-waits `workMs` and
 * appends its point to `log` (one line per call, so the parent counts calls across processes and sees progress), then
 * prints the run's diagnostics as JSON, after checking every value it got.
 *   node sweep-child.js '{"root":…,"engine":…,"url":…,"points":60,"chunk":5,"workMs":5,"log":"/tmp/calls"}'
 */
import { appendFileSync } from 'node:fs';
import { HashStash, type EngineName } from '../../src/index.js';

interface Job {
  readonly root: string;
  readonly engine: EngineName;
  readonly url?: string;
  readonly points: number;
  readonly chunk: number;
  readonly workMs: number;
  readonly log: string;
}

const job = JSON.parse(process.argv[2]) as Job;
await using stash = new HashStash({
  root: job.root,
  name: 'shared',
  engine: job.engine,
  ...(job.url ? { url: job.url } : {}),
});
await using sweep = stash.sweep({
  axes: { x: Array.from({ length: job.points }, (_, i) => i) },
  chunk: { x: job.chunk },
});
const { output, diagnostics } = await sweep.run((point: { x: number }) => {
  const until = performance.now() + job.workMs;
  while (performance.now() < until);
  appendFileSync(job.log, `${point.x}\n`);
  return { x: point.x, square: point.x * point.x };
});
output.forEach(({ point, value }, i) => {
  if (point.x !== i || value.x !== i || value.square !== i * i)
    throw new Error(`wrong value at ${i}: ${JSON.stringify(value)}`);
});
process.stdout.write(JSON.stringify(diagnostics));
