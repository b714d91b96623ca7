// The sweep suite's RSS pass, in a Node process of its own (started with --expose-gc by bench/suites/sweep.ts), so
// the growth it measures starts from a fresh heap, not from one the suite's other cases already grew:
//   node --expose-gc dist/bench/suites/sweep-rss.js '{"root":"/tmp/x","a":100,"b":1000,"valueBytes":1024}'
// Prints { points, cold, cached, coldAnon, cachedAnon, coldTail, cachedTail } (MiB) as JSON: the tail is the growth
// over the last four fifths of the points, past the RSS after the first fifth.
import { readFileSync } from 'node:fs';
import { HashStash } from '../../src/index.js';
import { RssSampler } from '../rss.js';

interface Job {
  readonly root: string;
  readonly a: number;
  readonly b: number;
  readonly valueBytes: number;
}

/** The resident set's anonymous part (heap, buffers; not mapped files) in MiB, from /proc (Linux); else undefined. */
function anonMiB(): number | undefined {
  try {
    const found = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return found ? Number(found[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const job = JSON.parse(process.argv[2]) as Job;
const points = job.a * job.b;
const spec = { params: { rss: true }, axes: { a: range(job.a), b: range(job.b) }, chunk: { a: 1, b: job.b } };
// Self-contained, as a sweep may ship it to workers; the string is built per point, so nothing is shared.
const value = (point: { a: number; b: number }) => `${point.a}:${point.b}:`.padEnd(1_024, 'x');
const result: Record<string, number> = { points };
await using stash = new HashStash({ root: job.root, engine: 'lmdb' });
// One chunk streamed first, so the baseline holds the engine and the code paths.
{
  await using warm = stash.sweep({ ...spec, params: { rss: 'warm-up' }, axes: { a: [0], b: spec.axes.b } });
  for await (const _ of warm.stream(value, { progress: false }));
}
for (const pass of ['cold', 'cached'] as const) {
  const sampler = new RssSampler();
  const anonBase = anonMiB();
  let anonPeak = anonBase ?? 0;
  const sampleAnon = () => {
    const anon = anonMiB();
    if (anon !== undefined && anon > anonPeak) anonPeak = anon;
  };
  let n = 0;
  // Is it bounded? The RSS once a fifth of the points are through, and the most it reaches after that.
  const tailFrom = Math.floor(points / 5);
  let tailBase = 0;
  let tailPeak = 0;
  await using sweep = stash.sweep(spec);
  for await (const { point, value: text } of sweep.stream(value, { progress: false })) {
    if (text.length !== job.valueBytes || point.b >= job.b) throw new Error('stash.sweep streamed a wrong value');
    if (++n % 1024 === 0) {
      sampler.sample();
      sampleAnon();
      const rss = process.memoryUsage.rss();
      if (n >= tailFrom) {
        if (tailBase === 0) tailBase = rss;
        tailPeak = Math.max(tailPeak, rss);
      }
    }
  }
  result[`${pass}Tail`] = (tailPeak - tailBase) / 2 ** 20;
  sampleAnon();
  if (n !== points) throw new Error(`sweep.stream yielded ${n} points for ${points}`);
  result[pass] = sampler.stop().growthMiB;
  if (anonBase !== undefined) result[`${pass}Anon`] = anonPeak - anonBase;
}
process.stdout.write(JSON.stringify(result));
